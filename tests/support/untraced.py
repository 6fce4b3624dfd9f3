"""The `e2e` marker: a whole-platform scenario (Dagster runs, dbt, sensors, automation, one after another) runs
without coverage's tracer, fixtures included, and so do the subprocesses it starts.

Why: on Python 3.11 (no `sys.monitoring`) coverage's line tracer made these scenarios ~50 % slower (the
arrival-order module: 96 s -> 150 s of CPU), the biggest single cost of `make test` against its 10-minute budget.
Their lines are the ones the module and integration tests trace, so the gate measures those; the coverage
printed is only ever lower for it, never higher. A test that needs coverage's data (none today) stays unmarked.

pytest-cov's own `no_cover` marker pauses only the test's call, not the (module-scoped) fixtures that build a
scenario's history, and it stops only pytest-cov's own collector: in an xdist worker, the collector that
coverage's subprocess patch started when the worker process began sits beneath it and takes over. So the
collector that traces (the top of coverage's stack: only that one is active) is paused here, and the
subprocesses started meanwhile do not start one (COVERAGE_PROCESS_CONFIG is unset for them).
"""

from __future__ import annotations

import os

import pytest

try:  # coverage's stack of started collectors (only its top one traces): not public API, so looked up with care
    from coverage.collector import Collector
except ImportError:  # coverage missing or reorganised: nothing is paused, and tests/test_untraced.py fails
    Collector = None

COVERAGE_SUBPROCESS_ENV = "COVERAGE_PROCESS_CONFIG"  # set by [tool.coverage.run] patch = ["subprocess"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    stack = getattr(Collector, "_collectors", None) if item.get_closest_marker("e2e") else None
    tracing = stack[-1] if stack else None
    if tracing is None:
        yield
        return
    tracing.pause()
    subprocess_config = os.environ.pop(COVERAGE_SUBPROCESS_ENV, None)
    try:
        yield
    finally:
        if subprocess_config is not None:
            os.environ[COVERAGE_SUBPROCESS_ENV] = subprocess_config
        tracing.resume()
