"""Imported by a local code server's fork server before it forks any run (binance_assets/run_workers.py):
what every run imports to open its instance, once, so that a forked run finds it imported.

The classes the instance in $DAGSTER_HOME is made of (SQLite run, event and schedule storage) and what
they import when a run opens them (SQLAlchemy, Alembic, watchdog, universal-pathlib): 1.44 s of a run's
start before, 0.13 s after (measured). Nothing is opened or connected: a fork must not share a file or
connection with its parent. A module that cannot be imported is left to the run, as without a fork server.
"""

from __future__ import annotations

import contextlib
import importlib
import os

from dagster._core.instance.ref import InstanceRef

# Imported lazily by Dagster's storages (schema migrations check, the event log's file watcher, paths).
STORAGE_MODULES = ("sqlalchemy", "alembic.command", "alembic.config", "alembic.runtime.migration",
                   "alembic.script", "watchdog.observers", "upath")


def instance_modules(dagster_home: str | None) -> list[str]:
    """The modules of the classes the instance in `dagster_home` is made of (none without one)."""
    if not dagster_home or not os.path.exists(os.path.join(dagster_home, "dagster.yaml")):
        return []
    ref = InstanceRef.from_dir(dagster_home)
    parts = (ref.local_artifact_storage_data, ref.run_storage_data, ref.event_storage_data,
             ref.schedule_storage_data, ref.compute_logs_data, ref.run_coordinator_data, ref.run_launcher_data,
             ref.storage_data, ref.secrets_loader_data)
    return [part.module_name for part in parts if part is not None]


def warm_up() -> list[str]:
    """Import what runs import; returns the modules that could not be imported."""
    missing = []
    for name in (*instance_modules(os.environ.get("DAGSTER_HOME")), *STORAGE_MODULES):
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


with contextlib.suppress(Exception):  # a fork server that cannot warm up still forks runs
    warm_up()
