"""Fixtures for the Dagster-level ingestion tests: a small simulated mirror and settings per engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.ingestion import DAYS, SEED, START, SYMBOLS, TRADES_PER_DAY, make_settings

from binance_assets.binance.simulator import simulate_mirror
from binance_assets.settings import Settings


@pytest.fixture(scope="session")
def pristine_mirror(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mirror")
    simulate_mirror(out, SYMBOLS, START, DAYS, seed=SEED, trades_per_day=TRADES_PER_DAY)
    return out


@pytest.fixture
def mirror(pristine_mirror, tmp_path) -> Path:
    """A private copy of the simulated mirror, so a test may damage files in it."""
    copy = tmp_path / "mirror"
    shutil.copytree(pristine_mirror, copy)
    return copy


@pytest.fixture(params=["duckdb", "postgres"])
def settings(request, tmp_path, mirror) -> Settings:
    if request.param == "postgres":
        return make_settings(tmp_path, mirror, postgres_url=request.getfixturevalue("fresh_postgres_url"))
    return make_settings(tmp_path, mirror)
