"""Materialize raw partitions through Dagster into DuckDB and PostgreSQL, and break them on purpose."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from support.ingestion import (
    DAYS,
    SEED,
    START,
    SYMBOLS,
    TRADES_PER_DAY,
    check_results,
    make_settings,
    materialized_metadata,
    rewrite_archive,
    run_partition,
    warehouse_of,
)

from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.simulator import simulate_day
from binance_assets.binance.urls import ArchiveSpec

RAW = ["spot_trades", "spot_agg_trades", "spot_klines_1m"]


def test_partition_materializes_with_metadata_and_passing_checks(settings, mirror):
    result = run_partition(settings, START, "BTCUSDT")
    assert result.success
    expected = simulate_day("BTCUSDT", START, seed=SEED, trades_per_day=TRADES_PER_DAY)
    warehouse = warehouse_of(settings)

    trades = warehouse.read_partition("spot_trades", "BTCUSDT", START)
    assert len(trades) == expected.trades.num_rows
    assert trades["trade_id"].tolist() == expected.trades.column("trade_id").to_pylist()
    assert trades["price"].tolist() == expected.trades.column("price").to_pylist()
    assert len(warehouse.read_partition("spot_klines_1m", "BTCUSDT", START)) == 1440
    assert warehouse.partition_row_count("spot_agg_trades", "BTCUSDT", START) == expected.agg_trades.num_rows
    # Nothing leaks into other partitions.
    assert warehouse.partition_row_count("spot_trades", "ETHUSDT", START) == 0

    meta = materialized_metadata(result, "spot_trades")
    spec = ArchiveSpec(symbol="BTCUSDT", kind=ArchiveKind.TRADES, day=START)
    assert meta["dagster/row_count"] == expected.trades.num_rows
    assert meta["first_id"] == expected.trades.column("trade_id")[0].as_py()
    assert meta["last_id"] == expected.trades.column("trade_id")[-1].as_py()
    assert meta["timestamp_unit"] == "us"
    assert meta["sha256"] == (mirror / spec.checksum_relative_path).read_text().split()[0]
    assert str(meta["source_url"]).endswith(spec.relative_path)

    checks = check_results(result)
    assert len(checks) == 3 + 3 + 2  # pandera and unique ids (klines: open times) on all three; continuity on two
    assert meta["load_log_version"] == 1
    assert all(e.passed for e in checks.values()), {k: e.metadata for k, e in checks.items() if not e.passed}


def test_same_partition_twice_leaves_one_copy(settings):
    assert run_partition(settings, START, "ETHUSDT").success
    first = warehouse_of(settings).read_partition("spot_trades", "ETHUSDT", START)
    assert run_partition(settings, START, "ETHUSDT").success
    second = warehouse_of(settings).read_partition("spot_trades", "ETHUSDT", START)
    assert len(second) == len(first)
    pd.testing.assert_frame_equal(first, second)


DAMAGES = [
    ("truncate", "CorruptArchive"),
    ("checksum", "ChecksumMismatch"),
    ("columns", "ColumnCountError"),
    ("non_numeric", "FieldParseError"),
    ("empty", "EmptyArchive"),
    ("duplicates", "unique_ids"),
    ("negative_qty", "pandera_schema"),
]
# Every damage on DuckDB; on PostgreSQL one the reader refuses and one a blocking check refuses: what differs by
# engine is the rollback of the publish, which the two cover (the refusals themselves are the engine-free reader
# and audit, tested per rule in tests/binance and tests/ingestion/test_arrow_audit.py).
ENGINE_DAMAGES = [("duckdb", *d) for d in DAMAGES] + [("postgres", *d) for d in DAMAGES if d[0] in ("truncate",
                                                                                                  "duplicates")]


@pytest.mark.parametrize(("settings", "damage", "error_type"), ENGINE_DAMAGES, indirect=["settings"])
def test_failing_partition_leaves_previous_copy(settings, mirror, damage, error_type):
    assert run_partition(settings, START, "BTCUSDT").success
    warehouse = warehouse_of(settings)
    before = warehouse.read_partition("spot_trades", "BTCUSDT", START)
    log_before = warehouse.load_log("spot_trades", "BTCUSDT", START)

    spec = ArchiveSpec(symbol="BTCUSDT", kind=ArchiveKind.TRADES, day=START)
    zip_path = mirror / spec.relative_path
    with zipfile.ZipFile(zip_path) as archive:
        lines = archive.read(archive.namelist()[0]).decode().splitlines()
    if damage == "truncate":
        rewrite_archive(mirror, spec, raw=zip_path.read_bytes()[: zip_path.stat().st_size // 2])
    elif damage == "checksum":
        flipped = bytearray(zip_path.read_bytes())
        flipped[len(flipped) // 2] ^= 0xFF  # one byte changed, the CHECKSUM file left as it was
        zip_path.write_bytes(bytes(flipped))
    elif damage == "columns":
        rewrite_archive(mirror, spec, "\n".join([*lines[:5], lines[5] + ",extra", *lines[6:]]) + "\n")
    elif damage == "non_numeric":
        fields = lines[7].split(",")
        fields[1] = "abc"
        rewrite_archive(mirror, spec, "\n".join([*lines[:7], ",".join(fields), *lines[8:]]) + "\n")
    elif damage == "empty":
        rewrite_archive(mirror, spec, "")
    elif damage == "duplicates":
        rewrite_archive(mirror, spec, "\n".join([*lines, lines[-1]]) + "\n")
    elif damage == "negative_qty":
        fields = lines[9].split(",")
        fields[2] = "-" + fields[2]
        rewrite_archive(mirror, spec, "\n".join([*lines[:9], ",".join(fields), *lines[10:]]) + "\n")

    result = run_partition(settings, START, "BTCUSDT")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert error_type in failure.event_specific_data.error_display_string

    after = warehouse.read_partition("spot_trades", "BTCUSDT", START)
    pd.testing.assert_frame_equal(before, after)
    assert warehouse.load_log("spot_trades", "BTCUSDT", START) == log_before
    assert len(warehouse.load_log_history("spot_trades", START, "BTCUSDT")) == 1
    assert warehouse.staging_tables() == []
    if error_type in ("unique_ids", "pandera_schema"):  # parsed fine, rejected by a blocking check
        failed = check_results(result)[("spot_trades", error_type)]
        assert not failed.passed and failed.metadata["failure_count"].value >= 1
        assert result.asset_materializations_for_node("raw__spot_trades") == []
    quarantined = list((settings.quarantine_dir).rglob(spec.file_name))
    assert quarantined, f"the offending {spec.file_name} was not kept in {settings.quarantine_dir}"


def test_day_not_yet_published_is_not_a_failure(settings):
    late_day = START.replace(day=START.day + DAYS)
    result = run_partition(settings, late_day, "BTCUSDT")
    assert result.success
    assert result.asset_materializations_for_node("raw__spot_trades") == []
    assert warehouse_of(settings).partition_row_count("spot_trades", "BTCUSDT", late_day) == 0


def test_blocking_schema_check_fails_on_bad_values(settings, mirror):
    spec = ArchiveSpec(symbol="ETHUSDT", kind=ArchiveKind.TRADES, day=START)
    with zipfile.ZipFile(mirror / spec.relative_path) as archive:
        lines = archive.read(archive.namelist()[0]).decode().splitlines()
    fields = lines[3].split(",")
    fields[4] = str(int(fields[4]) + 86_400_000_000)  # a trade stamped on the next day
    rewrite_archive(mirror, spec, "\n".join([*lines[:3], ",".join(fields), *lines[4:]]) + "\n")

    result = run_partition(settings, START, "ETHUSDT")
    evaluation = check_results(result)[("spot_trades", "pandera_schema")]
    assert not evaluation.passed
    assert evaluation.metadata["failure_count"].value >= 1
    assert "trade_time_inside_partition_day" in str(evaluation.metadata["failures_by_check"].value)
    # Never published: downstream cannot read the unchecked rows, and nothing claims it was loaded.
    assert warehouse_of(settings).partition_row_count("spot_trades", "ETHUSDT", START) == 0
    assert warehouse_of(settings).load_log("spot_trades", "ETHUSDT", START) is None
    assert not result.success


def test_both_engines_hold_identical_partitions(tmp_path, pristine_mirror, fresh_postgres_url):
    engines = {
        "duckdb": make_settings(tmp_path / "d", pristine_mirror),
        "postgres": make_settings(tmp_path / "p", pristine_mirror, postgres_url=fresh_postgres_url),
    }
    for settings in engines.values():
        for symbol in SYMBOLS:
            assert run_partition(settings, START, symbol).success
    duck, pg = (warehouse_of(s) for s in engines.values())
    for table in RAW:
        for symbol in SYMBOLS:
            left = duck.read_partition(table, symbol, START)
            right = pg.read_partition(table, symbol, START)
            assert len(left) > 0
            pd.testing.assert_frame_equal(left, right, check_dtype=False)
