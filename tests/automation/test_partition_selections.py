"""Deadline checks run only in the deadline sensor's own runs, never inside a partition run (issue 9 item 6).

The landing sensor, the poller and the catch-up schedule of the real `market_data` location are evaluated
with its repository, and each run request is resolved the way the daemon does (a run of the selected
assets and checks; `asset_check_keys=None` means every check of the selected assets).
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import threading
from datetime import UTC, datetime

import dagster as dg
import pytest

from binance_assets.automation.deadline_checks import DEADLINE_CHECK_NAME, DEADLINE_SENSOR_NAME
from binance_assets.automation.poller_sensor import POLLED_KEYS
from binance_assets.automation.schedules import BACKFILL_SCHEDULE
from binance_assets.automation.sensor_support import LANDING_SENSOR, POLLER_SENSOR, RAW_ASSET_KEYS
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.lib.resources import archive_resource, warehouse_resource
from binance_assets.settings import Environment, Settings

START = dt.date(2025, 1, 1)
SYMBOLS = ["BTCUSDT"]


@pytest.fixture(scope="module")
def location(tmp_path_factory):
    from binance_assets.definitions import build_defs

    data = tmp_path_factory.mktemp("selections")
    simulate_mirror(data / "mirror", SYMBOLS, START, 1, seed=7, trades_per_day=100)
    settings = Settings(env=Environment.LOCAL, data_dir=data, symbols=SYMBOLS, start_date=START)
    return settings, build_defs(settings).get_repository_def()


@pytest.fixture(scope="module")
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def executed_checks(repo: dg.RepositoryDefinition, request: dg.RunRequest) -> set[dg.AssetCheckKey]:
    """The checks a run of `request` executes: the daemon's job subset for its assets and checks."""
    job = repo.get_implicit_job_def_for_assets(request.asset_selection)
    checks = set(request.asset_check_keys) if request.asset_check_keys is not None else None
    subset = job.get_subset(asset_selection=set(request.asset_selection), asset_check_selection=checks)
    return set(subset.asset_layer.asset_graph.asset_check_keys)


def assert_partition_run_without_deadline_checks(repo: dg.RepositoryDefinition, request: dg.RunRequest) -> None:
    checks = executed_checks(repo, request)
    assert not {c for c in checks if c.name == DEADLINE_CHECK_NAME}
    # ... but every partition check of its assets (the blocking schema check among them).
    for key in set(request.asset_selection) & set(RAW_ASSET_KEYS):
        assert dg.AssetCheckKey(key, "pandera_schema") in checks
    # Control: the same request without an explicit check selection would run the deadline checks.
    unguarded = executed_checks(repo, request.with_replaced_attrs(asset_check_keys=None))
    assert {c.name for c in unguarded} >= {DEADLINE_CHECK_NAME, "pandera_schema"}


def test_landing_sensor_runs_exclude_the_deadline_checks(location, instance):
    settings, repo = location
    sensor = repo.get_sensor_def(LANDING_SENSOR)
    context = dg.build_sensor_context(
        instance=instance, repository_def=repo,
        resources={"archive": archive_resource(settings), "warehouse": warehouse_resource(settings)},
    )
    requests = [r for r in sensor(context) if isinstance(r, dg.RunRequest)]
    assert len(requests) == 1  # one day, one symbol: one run for its three archives (and what is downstream)
    assert set(POLLED_KEYS) <= set(requests[0].asset_selection)  # the spot tables (the mirror holds spot files)
    for request in requests:
        assert_partition_run_without_deadline_checks(repo, request)


@pytest.fixture
def http_base(location):
    """An HTTP server on loopback serving the location's mirror folder."""
    settings, _ = location

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(settings.mirror_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_poller_runs_exclude_the_deadline_checks(location, instance, http_base):
    settings, repo = location
    base = http_base
    http_settings = settings.model_copy(update={"archive_base_url": base})
    sensor = repo.get_sensor_def(POLLER_SENSOR)
    context = dg.build_sensor_context(
        instance=instance,
        repository_def=repo,
        resources={"archive": archive_resource(http_settings), "warehouse": warehouse_resource(settings)},
    )
    requests = [r for r in sensor(context) if isinstance(r, dg.RunRequest)]
    assert [(r.partition_key, r.tags["binance/symbols"]) for r in requests] == [("2025-01-01", "BTCUSDT")]
    assert requests[0].asset_selection == POLLED_KEYS
    assert_partition_run_without_deadline_checks(repo, requests[0])


def test_catch_up_schedule_runs_exclude_the_deadline_checks(location, instance):
    settings, repo = location
    schedule = repo.get_schedule_def(BACKFILL_SCHEDULE)
    when = datetime(2025, 1, 3, 8, 0, tzinfo=UTC)  # 2025-01-01 and -02 due, nothing loaded
    with dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=when,
        resources={"warehouse": warehouse_resource(settings)},
        repository_def=repo,
    ) as context:
        requests = schedule.evaluate_tick(context).run_requests
    assert {(r.partition_key, r.tags["binance/symbols"]) for r in requests} == {
        ("2025-01-01", "BTCUSDT"), ("2025-01-02", "BTCUSDT")}
    for request in requests:
        assert_partition_run_without_deadline_checks(repo, request)


def test_the_deadline_sensor_runs_only_the_deadline_checks(location, instance, monkeypatch):
    from binance_assets.automation import deadlines

    _, repo = location
    monkeypatch.setattr(deadlines, "utc_now", lambda: datetime(2025, 1, 3, 7, 0, tzinfo=UTC))
    context = dg.build_sensor_context(instance=instance, repository_def=repo)
    (request,) = [r for r in [repo.get_sensor_def(DEADLINE_SENSOR_NAME)(context)] if isinstance(r, dg.RunRequest)]
    assert request.asset_check_keys and {c.name for c in request.asset_check_keys} == {DEADLINE_CHECK_NAME}
    assert not request.asset_selection
