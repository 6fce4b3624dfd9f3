"""Fixtures of the feature tests: synthetic marts.fct_bars_1m days (see support/bars.py)."""

from __future__ import annotations

import pytest
from support.bars import DAY, synthetic_bars

__all__ = ["DAY", "synthetic_bars"]


@pytest.fixture
def make_bars():
    return synthetic_bars
