"""Polling an http(s) archive (binance_assets.automation.poller) and the archive_poller sensor.

A loopback HTTP server serves a simulated mirror; the sensor reads a real DuckDB warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
import requests

from binance_assets.automation.poller import (
    PollState,
    ProbeError,
    backoff_delay,
    day_specs,
    make_session,
    next_expected_day,
    probe,
)
from binance_assets.automation.sensors import (
    POLLER_SENSOR,
    RAW_ASSET_KEYS,
    build_archive_poller,
    last_loaded_days,
)
from binance_assets.binance.schema import ArchiveKind, Market
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.ingestion.load import load_partition
from binance_assets.ingestion.partitions import DaySymbol
from binance_assets.resources import archive_resource, warehouse_resource
from binance_assets.settings import Environment, Settings
from binance_assets.warehouse import RAW_TABLES

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
START = dt.date(2025, 1, 1)
DAY2 = START + dt.timedelta(days=1)
DAY3 = START + dt.timedelta(days=2)
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def fast_session() -> requests.Session:
    return make_session(retries=2, backoff_factor=0)


# --- days and probes --------------------------------------------------------------------------------------


def test_next_expected_day() -> None:
    assert next_expected_day(None, START) == START
    assert next_expected_day(START, START) == DAY2
    assert next_expected_day(dt.date(2024, 6, 1), START) == START  # older than the first partition
    assert next_expected_day(dt.date(2025, 12, 31), START) == dt.date(2026, 1, 1)


def test_probe_published_and_missing_days(http_mirror) -> None:
    base, hits = http_mirror
    session = fast_session()
    assert all(probe(session, base, spec) for spec in day_specs("BTCUSDT", START))
    assert all(probe(session, base, spec) for spec in day_specs("ETHUSDT", DAY2))
    assert not any(probe(session, base, spec) for spec in day_specs("BTCUSDT", DAY3))
    # Only the CHECKSUM is asked for, once each (HEAD: the zip is never downloaded).
    trades = ArchiveSpec("BTCUSDT", ArchiveKind.TRADES, day=START, market=Market.SPOT)
    assert hits[f"/{trades.checksum_relative_path}"] == 1
    assert f"/{trades.relative_path}" not in hits


def test_probe_retries_5xx_then_succeeds(http_mirror) -> None:
    base, hits = http_mirror
    spec = day_specs("BTCUSDT", START)[0]
    assert probe(fast_session(), f"{base}/flaky/2", spec) is True
    assert hits[f"/flaky/2/{spec.checksum_relative_path}"] == 3


def test_probe_raises_when_5xx_persists_or_status_is_unexpected(http_mirror) -> None:
    base, hits = http_mirror
    spec = day_specs("BTCUSDT", START)[0]
    with pytest.raises(ProbeError, match="HTTP 503"):
        probe(fast_session(), f"{base}/status/503", spec)
    assert hits[f"/status/503/{spec.checksum_relative_path}"] == 3  # 1 + 2 retries
    with pytest.raises(ProbeError, match="HTTP 403"):
        probe(fast_session(), f"{base}/status/403", spec)
    assert hits[f"/status/403/{spec.checksum_relative_path}"] == 1  # not retried


def test_probe_falls_back_to_get_without_head(http_mirror) -> None:
    base, _ = http_mirror
    assert probe(fast_session(), f"{base}/nohead", day_specs("ETHUSDT", START)[2]) is True
    assert probe(fast_session(), f"{base}/nohead", day_specs("ETHUSDT", DAY3)[2]) is False


def test_probe_connection_refused_raises(tmp_path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nobody listens there
    with pytest.raises(requests.ConnectionError):
        probe(make_session(retries=0), f"http://127.0.0.1:{port}", day_specs("BTCUSDT", START)[0], timeout=2)


# --- backoff ----------------------------------------------------------------------------------------------


def test_backoff_schedule() -> None:
    minutes = [backoff_delay(n) / timedelta(minutes=1) for n in range(0, 9)]
    assert minutes == [0, 15, 30, 60, 120, 240, 360, 360, 360]


def test_backoff_grows_while_missing_and_resets_when_published() -> None:
    state = PollState()
    state.expect("BTCUSDT", START)
    assert state.due(NOW) == ["BTCUSDT"]

    now = NOW
    waits = []
    for _ in range(7):
        assert state.due(now) == ["BTCUSDT"]
        wait = state.missing("BTCUSDT", now)
        waits.append(wait)
        assert state.due(now + wait - timedelta(seconds=1)) == []
        now += wait
    assert waits == [timedelta(minutes=m) for m in (15, 30, 60, 120, 240, 360, 360)]
    assert state.symbols["BTCUSDT"].attempts == 7

    # A restart keeps the schedule: the state is JSON in the sensor's cursor.
    text = state.to_json()
    assert json.loads(text) == {
        "BTCUSDT": {"next_day": "2025-01-01", "attempts": 7, "not_before": now.isoformat()},
    }
    state = PollState.from_json(text)
    assert state.due(now - timedelta(seconds=1)) == []

    assert state.published("BTCUSDT") == DAY2
    assert state.symbols["BTCUSDT"].attempts == 0
    assert state.symbols["BTCUSDT"].not_before is None
    assert state.due(now - timedelta(seconds=1)) == ["BTCUSDT"]  # the next day: probed at once
    assert state.missing("BTCUSDT", now) == timedelta(minutes=15)  # and backs off from the start again


def test_due_waits_for_the_day_to_end() -> None:
    state = PollState()
    state.expect("BTCUSDT", dt.date(2025, 3, 1))
    assert state.due(datetime(2025, 3, 1, 23, 59, tzinfo=UTC)) == []
    assert state.due(datetime(2025, 3, 2, 0, 0, tzinfo=UTC)) == ["BTCUSDT"]


def test_expect_follows_the_warehouse_forward_only() -> None:
    state = PollState()
    state.expect("BTCUSDT", START)
    state.missing("BTCUSDT", NOW)
    state.expect("BTCUSDT", START)  # same day: the backoff stays
    assert state.symbols["BTCUSDT"].attempts == 1
    state.expect("BTCUSDT", DAY3)  # loaded meanwhile (a backfill): jump, reset
    assert (state.next_day("BTCUSDT"), state.symbols["BTCUSDT"].attempts) == (DAY3, 0)
    state.expect("BTCUSDT", DAY2)  # a requested day not loaded yet: keep waiting for the later one
    assert state.next_day("BTCUSDT") == DAY3
    state.expect("ETHUSDT", START)
    state.retain(["ETHUSDT"])
    assert list(state.symbols) == ["ETHUSDT"]


def test_bad_poll_state_is_an_error() -> None:
    with pytest.raises(ValueError, match="poll state"):
        PollState.from_json('{"BTCUSDT": {"attempts": 1}}')
    assert PollState.from_json(None).symbols == {}


# --- the archive_poller sensor ----------------------------------------------------------------------------


def make_settings(tmp_path: Path, base_url: str) -> Settings:
    return Settings(
        env=Environment.LOCAL,
        data_dir=tmp_path / "data",
        duckdb_path=tmp_path / "warehouse.duckdb",
        archive_base_url=base_url,
        symbols=SYMBOLS,
        start_date=START,
    )


def evaluate(sensor, instance, cursor, settings):
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"archive": archive_resource(settings), "warehouse": warehouse_resource(settings)},
    )
    results = list(sensor(context))
    requests_ = [r for r in results if isinstance(r, dg.RunRequest)]
    assert requests_ or len(results) == 1  # else exactly one SkipReason
    return requests_, context.cursor


def test_poller_requests_published_days_and_backs_off(dagster_instance, http_mirror, tmp_path) -> None:
    base, _ = http_mirror
    settings = make_settings(tmp_path, base)
    sensor = build_archive_poller(settings, session_factory=fast_session)
    assert sensor.name == POLLER_SENSOR
    assert sensor.minimum_interval_seconds == 900
    instance = dagster_instance
    requests_, cursor = evaluate(sensor, instance, None, settings)
    # Nothing loaded yet: from the start date, both published days of both symbols, one run each.
    assert [str(r.partition_key) for r in requests_] == [
        "2025-01-01|BTCUSDT",
        "2025-01-02|BTCUSDT",
        "2025-01-01|ETHUSDT",
        "2025-01-02|ETHUSDT",
    ]
    for request in requests_:
        assert request.asset_selection == RAW_ASSET_KEYS
        assert request.run_key == str(request.partition_key)
        assert isinstance(request.partition_key, dg.MultiPartitionKey)
    state = json.loads(cursor)
    assert {s: (v["next_day"], v["attempts"]) for s, v in state.items()} == {
        "BTCUSDT": ("2025-01-03", 1),
        "ETHUSDT": ("2025-01-03", 1),
    }

    # Right away again: backing off, nothing probed, nothing requested.
    requests_, cursor2 = evaluate(sensor, instance, cursor, settings)
    assert requests_ == []
    assert json.loads(cursor2) == state


def test_poller_starts_after_the_last_loaded_day(dagster_instance, http_mirror, tmp_path) -> None:
    base, _ = http_mirror
    settings = make_settings(tmp_path, base)
    # BTCUSDT day 1 loaded through the real loader, from the same HTTP server.
    client = archive_resource(settings).client()
    warehouse = warehouse_resource(settings).get()
    for table in RAW_TABLES.values():
        load_partition(client, warehouse, table, START, "BTCUSDT")
    # ETHUSDT day 1 only partly loaded: it does not count as loaded.
    load_partition(client, warehouse, RAW_TABLES["spot_trades"], START, "ETHUSDT")
    assert last_loaded_days(warehouse, SYMBOLS) == {"BTCUSDT": START}

    sensor = build_archive_poller(settings, session_factory=fast_session)
    instance = dagster_instance
    requests_, _ = evaluate(sensor, instance, None, settings)
    assert [r.partition_key for r in requests_] == [
        DaySymbol(DAY2, "BTCUSDT").key(),
        DaySymbol(START, "ETHUSDT").key(),
        DaySymbol(DAY2, "ETHUSDT").key(),
    ]


def test_poller_skips_when_a_probe_fails_and_keeps_state(dagster_instance, http_mirror, tmp_path) -> None:
    base, _ = http_mirror
    settings = make_settings(tmp_path, f"{base}/status/500")
    sensor = build_archive_poller(settings, session_factory=fast_session)
    instance = dagster_instance
    requests_, cursor = evaluate(sensor, instance, None, settings)
    assert requests_ == []
    assert {v["attempts"] for v in json.loads(cursor).values()} == {0}  # not counted as "not published"


def test_poller_skips_non_http_sources(dagster_instance, mirror, tmp_path) -> None:
    settings = make_settings(tmp_path, str(mirror))
    instance = dagster_instance
    context = dg.build_sensor_context(
        instance=instance,
        resources={"archive": archive_resource(settings), "warehouse": warehouse_resource(settings)},
    )
    results = list(build_archive_poller(settings)(context))
    assert len(results) == 1
    assert isinstance(results[0], dg.SkipReason)
