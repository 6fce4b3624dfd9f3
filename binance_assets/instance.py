"""The local Dagster home: a DAGSTER_HOME folder under the project with the local instance config."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg

from binance_assets.settings import PROJECT_ROOT

LOCAL_INSTANCE_CONFIG = PROJECT_ROOT / "deploy" / "dagster" / "local.yaml"


def ensure_local_dagster_home(default: Path = PROJECT_ROOT / ".dagster_home") -> Path:
    """Use $DAGSTER_HOME if set, else `.dagster_home/`; give it the local instance config if it has none."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(default)))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(LOCAL_INSTANCE_CONFIG, config)
    return home


def local_instance() -> dg.DagsterInstance:
    ensure_local_dagster_home()
    return dg.DagsterInstance.get()
