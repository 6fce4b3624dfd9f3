"""Local run workers start warm: forked from a process that has already loaded the code location.

With Dagster's default launcher (the embedded default, `dagster dev`), the code server starts every run in
a new Python process with multiprocessing's `spawn`: each run imports dagster, pandas, dbt, scikit-learn
and the location's definitions again before its first step, 5-6 s of CPU here, 13-19 s when a new day's
runs start together on 2 cores (measured with benchmarks/live_refresh.py: most of the wait for a new
day's predictions). Here the code server starts them with multiprocessing's `forkserver` instead, whose
server process imports the location's module once (`set_forkserver_preload`); each run is a fork of it,
so it starts with everything imported and runs exactly the same code. The fork server is a child of
the code server: a reloaded location gets a new one. It forks from a process that runs no Python thread
but its main one and has opened no file or database (a test checks both), so no lock or connection is
shared with a run (native thread pools, OpenBLAS's and pyarrow's jemalloc's, re-initialise in a fork
through their own atfork handlers).

Before it forks, the fork server also imports what every run imports to open its instance
(binance_assets/run_workers_warmup.py) and what the location names (`also`: dbt's runner for market_data).

Only where runs are processes of the code server (the instance's launcher is Dagster's default or a
subclass: local, compose): `BINANCE_ASSETS_RUN_WORKERS=spawn` turns it off. In AWS every run is an ECS
task of its own (EcsRunLauncher): no fork server is started there.

This patches one attribute of Dagster's gRPC server (`DagsterApiServer._mp_ctx`, the multiprocessing
context of its `StartRun`), so it depends on that internal: tests/automation/test_run_workers.py fails
if it changes.
"""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.forkserver
import os
import sys
from types import FrameType
from typing import Any

RUN_WORKERS_ENV = "BINANCE_ASSETS_RUN_WORKERS"
FORKSERVER = "forkserver"
SPAWN = "spawn"
_PATCHED = "_binance_assets_forkserver"
_RELOADED = "_binance_assets_reloaded_in_process"
WARMUP_MODULE = "binance_assets.run_workers_warmup"


def run_worker_start_method() -> str:
    method = os.environ.get(RUN_WORKERS_ENV, FORKSERVER).strip().lower() or FORKSERVER
    if method not in (FORKSERVER, SPAWN):
        raise ValueError(f"{RUN_WORKERS_ENV} must be {FORKSERVER!r} or {SPAWN!r}, not {method!r}")
    return method


def forkserver_context(preload: list[str]) -> multiprocessing.context.BaseContext:
    """multiprocessing's forkserver context, its server to import `preload` before it forks anything."""
    context = multiprocessing.get_context(FORKSERVER)
    context.set_forkserver_preload(preload)
    return context


def _loading_server(server_cls: Any) -> Any | None:
    """The `DagsterApiServer` that is loading its code in this call (its __init__ is on the stack), if any."""
    init_code = server_cls.__init__.__code__
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code is init_code:
            return frame.f_locals.get("self")
        frame = frame.f_back
    return None


def runs_start_in_code_server(instance: Any) -> bool:
    """Whether the instance's run launcher starts runs as processes of the code servers (Dagster's default
    launcher and its subclasses, e.g. `LocalRunLauncher`); not EcsRunLauncher, whose runs are ECS tasks.
    Read from the instance's config without building the launcher. True without an instance (unknown)."""
    from dagster._core.launcher import DefaultRunLauncher

    if instance is None:
        return True
    data = instance.get_ref().run_launcher_data
    if data is None:  # no run_launcher in dagster.yaml: Dagster's default
        return True
    launcher_cls = getattr(importlib.import_module(data.module_name), data.class_name, None)
    return isinstance(launcher_cls, type) and issubclass(launcher_cls, DefaultRunLauncher)


def warm_run_workers(location_module: str, also: tuple[str, ...] = ()) -> bool:
    """Called by a code location's module: if a Dagster code server is loading it and its instance starts
    runs in the code servers, that server starts its runs as forks of a fork server that imported
    `location_module`, started now so that it is warm when the first run comes. Returns whether it did
    (False in any other process, when already done, for an ECS launcher, or with
    `BINANCE_ASSETS_RUN_WORKERS=spawn`)."""
    server_module = sys.modules.get("dagster._grpc.server")
    if server_module is None or sys.platform == "win32" or run_worker_start_method() != FORKSERVER:
        return False
    server_cls: Any = server_module.DagsterApiServer
    if getattr(server_cls, _PATCHED, False):
        return False
    server = _loading_server(server_cls)
    if server is None or not runs_start_in_code_server(getattr(server, "_instance", None)):
        return False
    start_runs_from_forkserver(server_cls, [location_module, WARMUP_MODULE, *also])
    multiprocessing.forkserver.ensure_running()
    return True


def start_runs_from_forkserver(server_cls: Any, preload: list[str]) -> None:
    """Make `server_cls` (Dagster's `DagsterApiServer`) start runs with a fork server that imported
    `preload`, until its code is reloaded inside the process (`ReloadCodeWithState`): the fork server holds
    the old code, so runs spawn again."""
    start_run, reload_with_state = server_cls.StartRun, server_cls.ReloadCodeWithState
    context = forkserver_context(preload)

    def StartRun(self: Any, request: Any, grpc_context: Any) -> Any:
        if not getattr(self, _RELOADED, False):
            self._mp_ctx = context
        return start_run(self, request, grpc_context)

    def ReloadCodeWithState(self: Any, request: Any, grpc_context: Any) -> Any:
        setattr(self, _RELOADED, True)
        self._mp_ctx = multiprocessing.get_context(SPAWN)
        return reload_with_state(self, request, grpc_context)

    server_cls.StartRun, server_cls.ReloadCodeWithState = StartRun, ReloadCodeWithState
    setattr(server_cls, _PATCHED, True)
