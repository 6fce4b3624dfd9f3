"""The `e2e` marker (tests/support/untraced.py): under `--cov`, an end-to-end scenario runs without coverage's
tracer and every other test with it; without `--cov` nothing traces either."""

from __future__ import annotations

import sys

import pytest


def _coverage_on(config: pytest.Config) -> bool:
    return bool(config.getoption("cov_source", default=None)) and not config.getoption("no_cov", default=False)


@pytest.mark.e2e
def test_an_e2e_scenario_runs_untraced():
    assert sys.gettrace() is None


def test_other_tests_are_traced_when_coverage_is_on(request):
    tracing = sys.gettrace()
    assert (tracing is not None and type(tracing).__module__.startswith("coverage")) == _coverage_on(request.config)
