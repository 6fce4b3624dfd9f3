"""A day of many symbols loaded in parallel (`day_load.load_day`): every good file published whole, a bad one
never visible, quarantined and named, the others unaffected; the same rows on both engines.

Expectations come from the archives themselves (their CSV lines) and from Binance's rules, not from the code.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from support.ingestion import rewrite_archive

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.binance.errors import ChecksumMismatch
from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.ingestion.day_load import load_day
from binance_assets.ingestion.load import PartitionLoad
from binance_assets.warehouse import SPOT_TRADES, DuckDBWarehouse, PostgresWarehouse

DAY = dt.date(2025, 1, 1)
SYMBOLS = ["AAAUSDT", "BBBUSDT", "CCCUSDT", "DDDUSDT", "EEEUSDT", "FFFBTC"]


@pytest.fixture
def day_mirror(tmp_path) -> Path:
    out = tmp_path / "mirror"
    simulate_mirror(out, SYMBOLS, DAY, 1, seed=3, trades_per_day=400, kinds=[ArchiveKind.TRADES])
    return out


def spec(symbol: str) -> ArchiveSpec:
    return ArchiveSpec(symbol=symbol, kind=ArchiveKind.TRADES, day=DAY)


def csv_lines(mirror: Path, symbol: str) -> list[str]:
    with zipfile.ZipFile(mirror / spec(symbol).relative_path) as archive:
        return archive.read(archive.namelist()[0]).decode().splitlines()


def client_for(mirror: Path, tmp_path: Path) -> ArchiveClient:
    return ArchiveClient(base_url=str(mirror), download_dir=tmp_path / "downloads", quarantine_dir=tmp_path / "q")


def make(kind: str, tmp_path: Path, request):
    if kind == "duckdb":
        return DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    return PostgresWarehouse(request.getfixturevalue("fresh_postgres_url"))


ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize("in_flight_bytes", [1, 64 << 20])  # one file at a time; all of them at once
def test_every_file_of_the_day_is_published_whole(kind, in_flight_bytes, day_mirror, tmp_path, request):
    warehouse = make(kind, tmp_path, request)
    outcomes = dict(load_day(client_for(day_mirror, tmp_path), warehouse, SPOT_TRADES, DAY, SYMBOLS,
                             workers=2, in_flight_bytes=in_flight_bytes))  # fmt: skip

    assert sorted(outcomes) == SYMBOLS
    for symbol in SYMBOLS:
        lines = csv_lines(day_mirror, symbol)
        load = outcomes[symbol]
        assert isinstance(load, PartitionLoad) and load.published, symbol
        rows = warehouse.read_partition_arrow(SPOT_TRADES, symbol, DAY)
        assert rows.num_rows == load.rows == len(lines)
        assert rows.column("trade_id").to_pylist() == [int(line.split(",")[0]) for line in lines]
        log = warehouse.load_log(SPOT_TRADES, symbol, DAY)
        assert (log["version"], log["rows"], log["sha256"]) == (1, len(lines), load.sha256)
    assert warehouse.query("SELECT count(*) AS n FROM raw.spot_trades")["n"][0] == sum(
        len(csv_lines(day_mirror, s)) for s in SYMBOLS
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_a_bad_file_is_refused_and_quarantined_while_the_others_are_published(kind, day_mirror, tmp_path, request):
    warehouse = make(kind, tmp_path, request)
    lines = csv_lines(day_mirror, "BBBUSDT")
    fields = lines[5].split(",")
    fields[1] = "-" + fields[1]  # a negative price in BBBUSDT's file
    rewrite_archive(day_mirror, spec("BBBUSDT"), "\n".join([*lines[:5], ",".join(fields), *lines[6:]]) + "\n")
    (day_mirror / spec("DDDUSDT").checksum_relative_path).write_text(f"{'0' * 64}  {spec('DDDUSDT').file_name}")

    outcomes = dict(load_day(client_for(day_mirror, tmp_path), warehouse, SPOT_TRADES, DAY, SYMBOLS, workers=2))

    refused = outcomes["BBBUSDT"]
    assert isinstance(refused, PartitionLoad) and not refused.published
    assert "pandera_schema: " in refused.rejection and "greater_than(0) on price (1 row)" in refused.rejection
    assert Path(refused.quarantined_to).is_file()
    assert isinstance(outcomes["DDDUSDT"], ChecksumMismatch)
    for symbol in ("BBBUSDT", "DDDUSDT"):  # never visible, nothing claims it was loaded
        assert warehouse.partition_row_count(SPOT_TRADES, symbol, DAY) == 0
        assert warehouse.load_log(SPOT_TRADES, symbol, DAY) is None
    for symbol in ("AAAUSDT", "CCCUSDT", "EEEUSDT", "FFFBTC"):
        assert outcomes[symbol].published
        assert warehouse.partition_row_count(SPOT_TRADES, symbol, DAY) == len(csv_lines(day_mirror, symbol))


@pytest.mark.parametrize("kind", ENGINES)
def test_a_rerun_keeps_the_versions_and_a_replaced_file_adds_one(kind, day_mirror, tmp_path, request):
    warehouse = make(kind, tmp_path, request)
    client = client_for(day_mirror, tmp_path)
    dict(load_day(client, warehouse, SPOT_TRADES, DAY, SYMBOLS, workers=2))
    lines = csv_lines(day_mirror, "CCCUSDT")
    rewrite_archive(day_mirror, spec("CCCUSDT"), "\n".join(lines[:-3]) + "\n")  # Binance replaced it: 3 fewer

    again = dict(load_day(client, warehouse, SPOT_TRADES, DAY, SYMBOLS, workers=2))

    assert all(load.published for load in again.values())
    for symbol in SYMBOLS:
        history = warehouse.load_log_history(SPOT_TRADES, DAY, symbol)
        expected_versions = [1, 2] if symbol == "CCCUSDT" else [1]
        assert [v["version"] for v in history] == expected_versions, symbol
        assert history[-1]["superseded_at"] is None
    assert warehouse.partition_row_count(SPOT_TRADES, "CCCUSDT", DAY) == len(lines) - 3


@pytest.mark.postgres
def test_both_engines_hold_the_same_day(day_mirror, tmp_path, request):
    duck = make("duckdb", tmp_path, request)
    pg = make("postgres", tmp_path, request)
    for warehouse in (duck, pg):
        dict(load_day(client_for(day_mirror, tmp_path), warehouse, SPOT_TRADES, DAY, SYMBOLS, workers=2))
    for symbol in SYMBOLS:
        rows = [w.read_partition_arrow(SPOT_TRADES, symbol, DAY) for w in (duck, pg)]
        assert rows[0].equals(rows[1]), symbol
