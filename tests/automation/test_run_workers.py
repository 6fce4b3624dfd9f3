"""Local run workers forked from a warm fork server (binance_assets/run_workers.py).

`dagster dev` with a code server that starts its runs this way, killed and restarted, is
tests/automation/test_interrupted_dev.py; the latency it buys is benchmarks/live_refresh.py."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from dagster._core.instance.ref import InstanceRef
from dagster._grpc.server import DagsterApiServer

from binance_assets import run_workers
from binance_assets.instance import LOCAL_INSTANCE_CONFIG
from binance_assets.run_workers import (
    RUN_WORKERS_ENV,
    run_worker_start_method,
    runs_start_in_code_server,
    start_runs_from_forkserver,
    warm_run_workers,
)


class FakeServer:
    """What the patch touches of Dagster's `DagsterApiServer`: `_mp_ctx`, `StartRun`, `ReloadCodeWithState`."""

    def __init__(self) -> None:
        self._mp_ctx = multiprocessing.get_context("spawn")
        self.started_with: list[str] = []

    def StartRun(self, request, context):
        self.started_with.append(self._mp_ctx.get_start_method())
        return "started"

    def ReloadCodeWithState(self, request, context):
        return "reloaded"


def test_the_dagster_server_has_what_the_patch_replaces():
    """Fails if Dagster renames what binance_assets/run_workers.py patches."""
    assert callable(DagsterApiServer.StartRun) and callable(DagsterApiServer.ReloadCodeWithState)
    init_source = DagsterApiServer.__init__.__code__.co_names
    assert "_mp_ctx" in init_source and "get_context" in init_source


def test_runs_start_from_the_forkserver_until_code_is_reloaded_in_process():
    class Server(FakeServer):
        pass

    start_runs_from_forkserver(Server, ["json"])
    server = Server()
    assert server.StartRun(None, None) == "started"
    assert server.ReloadCodeWithState(None, None) == "reloaded"
    server.StartRun(None, None)
    assert server.started_with == ["forkserver", "spawn"]
    assert Server().StartRun(None, None) == "started"  # another server in the process still forks


def test_outside_a_code_server_nothing_is_patched(monkeypatch):
    monkeypatch.delenv(RUN_WORKERS_ENV, raising=False)
    start_run = DagsterApiServer.StartRun
    assert warm_run_workers("binance_assets.definitions") is False
    assert DagsterApiServer.StartRun is start_run
    assert not getattr(DagsterApiServer, run_workers._PATCHED, False)


@pytest.mark.parametrize(
    ("value", "method"), [(None, "forkserver"), ("spawn", "spawn"), (" ForkServer ", "forkserver")]
)
def test_start_method_setting(monkeypatch, value, method):
    if value is None:
        monkeypatch.delenv(RUN_WORKERS_ENV, raising=False)
    else:
        monkeypatch.setenv(RUN_WORKERS_ENV, value)
    assert run_worker_start_method() == method


def test_a_wrong_start_method_is_named(monkeypatch):
    monkeypatch.setenv(RUN_WORKERS_ENV, "fork")
    with pytest.raises(ValueError, match="BINANCE_ASSETS_RUN_WORKERS must be 'forkserver' or 'spawn', not 'fork'"):
        run_worker_start_method()


def test_the_locations_load_in_one_thread_and_open_no_file(tmp_path):
    """What the fork server holds when it forks a run: the locations' modules, the instance's storage classes
    and dbt's runner imported, no Python thread but
    the main one (a fork copies only the forking thread) and no open file, the DuckDB warehouse least of all.
    (Native pools, OpenBLAS's and pyarrow's jemalloc's, re-initialise in a fork by their own atfork handlers.)"""
    probe = (
        "import importlib, json, threading, psutil\n"
        "import binance_assets.definitions, binance_assets.ml.definitions\n"
        "from binance_assets.transform.dbt_inprocess import DBT_RUN_MODULES\n"
        "import binance_assets.run_workers_warmup as warmup\n"
        "assert warmup.warm_up() == [], 'every module of the warm-up imports'\n"
        "for name in DBT_RUN_MODULES: importlib.import_module(name)\n"
        "files = [f.path for f in psutil.Process().open_files()]\n"
        "print(json.dumps({'threads': threading.active_count(), 'files': files}))\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(LOCAL_INSTANCE_CONFIG, home / "dagster.yaml")
    env = {"BINANCE_ASSETS_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env={**os.environ, **env})
    state = json.loads(done.stdout.strip().splitlines()[-1])
    assert state["threads"] == 1, state
    assert state["files"] == [], state


def test_the_warm_up_imports_the_local_instances_classes(tmp_path):
    from binance_assets.run_workers_warmup import instance_modules

    assert instance_modules(None) == [] and instance_modules(str(tmp_path)) == []  # no instance: nothing
    shutil.copyfile(LOCAL_INSTANCE_CONFIG, tmp_path / "dagster.yaml")
    modules = instance_modules(str(tmp_path))
    assert {"dagster._core.storage.runs", "dagster._core.storage.event_log", "binance_assets.instance"} <= set(modules)


class FakeInstance:
    def __init__(self, home):
        self.home = home

    def get_ref(self):
        return InstanceRef.from_dir(str(self.home))


@pytest.mark.parametrize(
    ("run_launcher", "in_code_server"),
    [
        (None, True),  # no run_launcher in dagster.yaml: Dagster's default launcher
        ({"module": "binance_assets.instance", "class": "LocalRunLauncher"}, True),  # deploy/dagster/local.yaml
        ({"module": "dagster._core.launcher", "class": "DefaultRunLauncher"}, True),
        ({"module": "dagster_aws.ecs", "class": "EcsRunLauncher"}, False),  # deploy/dagster/prod.yaml: ECS tasks
    ],
)
def test_a_fork_server_only_where_runs_start_in_the_code_server(tmp_path, run_launcher, in_code_server):
    config = {"run_launcher": run_launcher} if run_launcher else {}
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    assert runs_start_in_code_server(FakeInstance(tmp_path)) is in_code_server


@pytest.mark.parametrize(("config", "in_code_server"), [("local.yaml", True), ("compose.yaml", True),
                                                      ("prod.yaml", False)])
def test_the_deployed_instance_configs(tmp_path, config, in_code_server):
    """The run launcher of each deployed instance config (the rest of prod's needs its database)."""
    deployed = yaml.safe_load((LOCAL_INSTANCE_CONFIG.parent / config).read_text())
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump({"run_launcher": deployed["run_launcher"]}))
    assert runs_start_in_code_server(FakeInstance(tmp_path)) is in_code_server
    assert runs_start_in_code_server(None)  # a code server without an instance: unknown, so warm
