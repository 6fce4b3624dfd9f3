"""Polling an http(s) archive (binance_assets.automation.poller) and the archive_poller sensor: its timing
against the raw deadline on a fake clock, and the re-check of recent CHECKSUMs (replaced archives).

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

from binance_assets.automation.deadlines import deadline_for
from binance_assets.automation.load_log import last_loaded_days
from binance_assets.automation.poller import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    LOAD_LEAD,
    RECHECK_INTERVAL,
    PollState,
    ProbeError,
    backoff_delay,
    day_specs,
    make_session,
    next_expected_day,
    probe,
    wait_before_deadline,
)
from binance_assets.automation.poller_sensor import POLLED_KEYS, build_archive_poller
from binance_assets.automation.recheck import fetch_checksum, recheck_window, replaced_archives
from binance_assets.automation.sensor_support import POLLER_SENSOR
from binance_assets.binance.checksum import sha256_file
from binance_assets.binance.schema import ArchiveKind, Market
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.ingestion.load import load_partition
from binance_assets.lib.partitions import SYMBOLS_TAG
from binance_assets.lib.resources import archive_resource, warehouse_resource
from binance_assets.settings import Environment, Settings
from binance_assets.warehouse import RAW_TABLES

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
START = dt.date(2025, 1, 1)
DAY2 = START + dt.timedelta(days=1)
DAY3 = START + dt.timedelta(days=2)
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

SPOT_TABLES = [t for t in RAW_TABLES.values() if t.name.startswith("spot_")]

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
    assert minutes == [0, 5, 10, 20, 40, 80, 160, 320, 360]


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
    assert waits == [timedelta(minutes=m) for m in (5, 10, 20, 40, 80, 160, 320)]
    assert state.symbols["BTCUSDT"].attempts == 7

    # A restart keeps the schedule: the state is JSON in the sensor's cursor.
    text = state.to_json()
    assert json.loads(text) == {
        "symbols": {"BTCUSDT": {"next_day": "2025-01-01", "attempts": 7, "not_before": now.isoformat()}},
        "recheck_after": None,
    }
    state = PollState.from_json(text)
    assert state.due(now - timedelta(seconds=1)) == []

    assert state.published("BTCUSDT") == DAY2
    assert state.symbols["BTCUSDT"].attempts == 0
    assert state.symbols["BTCUSDT"].not_before is None
    assert state.due(now - timedelta(seconds=1)) == ["BTCUSDT"]  # the next day: probed at once
    assert state.missing("BTCUSDT", now) == timedelta(minutes=5)  # and backs off from the start again


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
    assert sensor.minimum_interval_seconds == 60
    instance = dagster_instance
    requests_, cursor = evaluate(sensor, instance, None, settings)
    # Nothing loaded yet: from the start date, both published days, one run per day for both symbols.
    assert [str(r.partition_key) for r in requests_] == ["2025-01-01", "2025-01-02"]
    for request in requests_:
        assert request.asset_selection == POLLED_KEYS
        assert request.run_key == f"{request.partition_key}|BTCUSDT,ETHUSDT"
        assert request.tags[SYMBOLS_TAG] == "BTCUSDT,ETHUSDT"
        assert {c["config"]["symbols"] == SYMBOLS for c in request.run_config["ops"].values()} == {True}
    state = json.loads(cursor)
    assert {s: (v["next_day"], v["attempts"]) for s, v in state["symbols"].items()} == {
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
    for table in SPOT_TABLES:  # what the poller polls
        load_partition(client, warehouse, table, START, "BTCUSDT")
    # ETHUSDT day 1 only partly loaded: it does not count as loaded.
    load_partition(client, warehouse, RAW_TABLES["spot_trades"], START, "ETHUSDT")
    assert last_loaded_days(warehouse, SYMBOLS) == {"BTCUSDT": START}

    sensor = build_archive_poller(settings, session_factory=fast_session)
    instance = dagster_instance
    requests_, _ = evaluate(sensor, instance, None, settings)
    assert [(r.partition_key, r.tags[SYMBOLS_TAG]) for r in requests_] == [
        (START.isoformat(), "ETHUSDT"),
        (DAY2.isoformat(), "BTCUSDT,ETHUSDT"),
    ]


def test_poller_skips_when_a_probe_fails_and_keeps_state(dagster_instance, http_mirror, tmp_path) -> None:
    base, _ = http_mirror
    settings = make_settings(tmp_path, f"{base}/status/500")
    sensor = build_archive_poller(settings, session_factory=fast_session)
    instance = dagster_instance
    requests_, cursor = evaluate(sensor, instance, None, settings)
    assert requests_ == []
    assert {v["attempts"] for v in json.loads(cursor)["symbols"].values()} == {0}  # not "not published"


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


# --- timing that meets the raw deadline (issue 9 item 5) -------------------------------------------------


DAY_OVER = datetime(2025, 3, 2, 0, 0, tzinfo=UTC)  # day 2025-03-01 ends
TICK = timedelta(minutes=1)


def simulate_poll(published_at: datetime, deadline: datetime, tick: timedelta = TICK) -> tuple[datetime, int]:
    """When the poller requests a day published at `published_at` (its PollState on a fake clock that
    ticks like the sensor), and how many probes it took."""
    state = PollState()
    state.expect("BTCUSDT", (DAY_OVER - timedelta(days=1)).date())
    now, probes = DAY_OVER, 0
    while now < DAY_OVER + timedelta(days=2):
        if state.due(now):
            probes += 1
            if now >= published_at:
                return now, probes
            state.missing("BTCUSDT", now, deadline=deadline)
        now += tick
    raise AssertionError(f"never requested a day published at {published_at}")


def test_a_day_published_any_time_before_the_deadline_is_requested_in_time_to_load() -> None:
    settings = Settings()
    deadline = deadline_for(DAY_OVER.date() - timedelta(days=1), settings.raw_due_hours_after_midnight)
    assert deadline == DAY_OVER + timedelta(hours=6)
    last_useful = deadline - LOAD_LEAD  # 05:40: a load requested then is in before 06:00
    for minute in range(0, 6 * 60):
        published = DAY_OVER + timedelta(minutes=minute)
        requested, probes = simulate_poll(published, deadline)
        if published <= last_useful - BACKOFF_BASE:
            assert requested <= last_useful, (published, requested)
        else:  # the last 25 minutes: probed every 5 minutes
            assert requested - published <= BACKOFF_BASE + TICK, (published, requested)
        assert probes <= 16
    # The case: published at 03:50, the old backoff requested it at 07:45.
    requested, _ = simulate_poll(DAY_OVER + timedelta(hours=3, minutes=50), deadline)
    assert requested <= DAY_OVER + timedelta(hours=4, minutes=10)


def test_a_late_day_is_probed_more_rarely_the_later_it_is() -> None:
    deadline = DAY_OVER + timedelta(hours=6)
    state = PollState()
    state.expect("BTCUSDT", (DAY_OVER - timedelta(days=1)).date())
    state.symbols["BTCUSDT"].attempts = 20  # a long night of misses
    waits = [state.missing("BTCUSDT", deadline + timedelta(minutes=m), deadline=deadline) for m in (0, 10, 40, 600)]
    assert waits == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=40), BACKOFF_CAP]
    assert wait_before_deadline(3, DAY_OVER, None) == backoff_delay(3)


def test_poller_sensor_on_a_fake_clock_requests_a_day_published_at_0350_before_its_deadline(
    dagster_instance, http_mirror, mirror, extra_day, tmp_path
) -> None:
    base, _ = http_mirror
    day = dt.date(2025, 1, 3)  # extra_day's day: not in the mirror until it is "published"
    settings = make_settings(tmp_path, base).model_copy(update={"start_date": day, "symbols": ["BTCUSDT"]})
    clock = {"now": datetime(2025, 1, 4, 0, 0, tzinfo=UTC)}
    sensor = build_archive_poller(settings, session_factory=fast_session, clock=lambda: clock["now"])
    publish_at = datetime(2025, 1, 4, 3, 50, tzinfo=UTC)
    cursor, requested_at, evaluations = None, None, 0
    while clock["now"] < datetime(2025, 1, 4, 6, 0, tzinfo=UTC):
        if clock["now"] >= publish_at and not (mirror / day_specs("BTCUSDT", day)[0].checksum_relative_path).exists():
            for spec in day_specs("BTCUSDT", day):
                for rel in (spec.relative_path, spec.checksum_relative_path):
                    (mirror / rel).parent.mkdir(parents=True, exist_ok=True)
                    (mirror / rel).write_bytes((extra_day / rel).read_bytes())
        requests_, cursor = evaluate(sensor, dagster_instance, cursor, settings)
        evaluations += 1
        if requests_:
            assert [(r.partition_key, r.tags[SYMBOLS_TAG]) for r in requests_] == [("2025-01-03", "BTCUSDT")]
            requested_at = clock["now"]
            break
        # The daemon ticks every minute; the ticks before the next probe time change nothing: skip them.
        next_probe = datetime.fromisoformat(json.loads(cursor)["symbols"]["BTCUSDT"]["not_before"])
        clock["now"] = max(clock["now"] + timedelta(minutes=1), next_probe)
    assert evaluations <= 16
    assert requested_at is not None and publish_at <= requested_at <= datetime(2025, 1, 4, 5, 40, tzinfo=UTC)


# --- replaced archives (issue 8 item 7, the poller's side) ------------------------------------------------


def test_poller_rechecks_recent_checksums_and_reloads_a_replaced_archive(
    dagster_instance, http_mirror, mirror, tmp_path
) -> None:
    base, _ = http_mirror
    settings = make_settings(tmp_path, base).model_copy(update={"symbols": ["BTCUSDT"], "recheck_days": 7})
    client = archive_resource(settings).client()
    warehouse = warehouse_resource(settings).get()
    for table in SPOT_TABLES:  # what the poller polls
        load_partition(client, warehouse, table, START, "BTCUSDT")
    klines = ArchiveSpec("BTCUSDT", ArchiveKind.KLINES, day=START, market=Market.SPOT)
    old_sha = warehouse.loaded_sha256("spot_klines_1m", START, "BTCUSDT")
    assert old_sha == sha256_file(mirror / klines.relative_path)

    clock = {"now": NOW}
    sensor = build_archive_poller(settings, session_factory=fast_session, clock=lambda: clock["now"])
    requests_, cursor = evaluate(sensor, dagster_instance, None, settings)
    # The next day, published, is requested; the loaded day is unchanged upstream: no reload.
    assert [(r.partition_key, r.tags[SYMBOLS_TAG]) for r in requests_] == [("2025-01-02", "BTCUSDT")]
    assert json.loads(cursor)["recheck_after"] == (NOW + RECHECK_INTERVAL).isoformat()

    # Binance replaces START's klines archive (other content, new CHECKSUM).
    replaced = tmp_path / "replaced"
    simulate_mirror(replaced, ["BTCUSDT"], START, 1, seed=99, trades_per_day=150)
    for rel in (klines.relative_path, klines.checksum_relative_path):
        (mirror / rel).write_bytes((replaced / rel).read_bytes())
    new_sha = sha256_file(mirror / klines.relative_path)
    assert new_sha != old_sha

    clock["now"] = NOW + timedelta(minutes=30)  # not re-checked yet: once an hour
    requests_, cursor = evaluate(sensor, dagster_instance, cursor, settings)
    assert requests_ == []
    clock["now"] = NOW + RECHECK_INTERVAL
    requests_, cursor = evaluate(sensor, dagster_instance, cursor, settings)
    assert len(requests_) == 1
    (request,) = requests_
    assert (request.partition_key, request.tags[SYMBOLS_TAG]) == (START.isoformat(), "BTCUSDT")
    assert request.asset_selection == [dg.AssetKey(["raw", "spot_klines_1m"])]
    assert request.run_config == {"ops": {"raw__spot_klines_1m": {"config": {"symbols": ["BTCUSDT"]}}}}
    assert request.run_key == f"{klines.relative_path}@{new_sha}"
    assert request.tags["binance/reason"] == "replaced archive"

    # The requested run reloads the partition: the new sha256 is loaded, and the next re-check is quiet.
    load_partition(client, warehouse, RAW_TABLES["spot_klines_1m"], START, "BTCUSDT")
    assert warehouse.loaded_sha256("spot_klines_1m", START, "BTCUSDT") == new_sha
    clock["now"] = NOW + 2 * RECHECK_INTERVAL
    requests_, cursor = evaluate(sensor, dagster_instance, cursor, settings)
    assert requests_ == []


def test_recheck_window_and_replaced_archives_are_pure() -> None:
    assert recheck_window(None, 7) == []
    assert recheck_window(DAY3, 0) == []
    assert recheck_window(DAY3, 2) == [DAY2, DAY3]
    a, b, c = day_specs("BTCUSDT", START)
    assert replaced_archives({a: "aa", b: "bb", c: None}, {a: "AA", b: "cc", c: "dd"}) == {b: "cc"}
    assert replaced_archives({a: "aa"}, {a: None}) == {}  # withdrawn upstream: nothing to reload


def test_fetch_checksum_reads_the_published_sha256(http_mirror, mirror) -> None:
    base, _ = http_mirror
    spec = day_specs("ETHUSDT", START)[1]
    assert fetch_checksum(fast_session(), base, spec) == sha256_file(mirror / spec.relative_path)
    assert fetch_checksum(fast_session(), base, day_specs("ETHUSDT", DAY3)[1]) is None
    with pytest.raises(ProbeError, match="HTTP 403"):
        fetch_checksum(fast_session(), f"{base}/status/403", spec)


def test_poller_polls_the_usd_m_symbols_archives_apart_from_spot(dagster_instance, http_mirror, mirror, tmp_path):
    """BINANCE_ASSETS_UM_SYMBOLS' archives (data/futures/um/...) are polled too, per USD-M symbol: a day whose three
    futures archives are published makes a run of the three um_* raw assets; spot's runs stay as they were."""
    from binance_assets.binance.datasets import raw_datasets

    base, _ = http_mirror
    um = [ds for ds in raw_datasets() if ds.market is Market.FUTURES_UM]
    simulate_mirror(mirror, ["BTCUSDT"], START, 1, seed=7, trades_per_day=200, datasets=um)  # DAY2's not yet
    settings = make_settings(tmp_path, base).model_copy(update={"um_symbols": ["BTCUSDT"]})
    requests_, cursor = evaluate(build_archive_poller(settings, session_factory=fast_session), dagster_instance,
                                 None, settings)
    um_keys = [dg.AssetKey(["raw", ds.id]) for ds in um]
    assert [(r.run_key, r.asset_selection) for r in requests_] == [
        ("2025-01-01|BTCUSDT,ETHUSDT", POLLED_KEYS), ("2025-01-01|futures/um|BTCUSDT", um_keys),
        ("2025-01-02|BTCUSDT,ETHUSDT", POLLED_KEYS),
    ]
    assert requests_[1].run_config == {"ops": {f"raw__{ds.id}": {"config": {"symbols": ["BTCUSDT"]}} for ds in um}}
    state = json.loads(cursor)["symbols"]
    assert (state["futures/um:BTCUSDT"]["next_day"], state["BTCUSDT"]["next_day"]) == ("2025-01-02", "2025-01-03")
