"""`raw.symbol_universe` on both engines: created by ensure_schema with the agreed columns and types, replaced
as a whole in one transaction (a failure leaves the previous universe), read back as a SymbolUniverse; and
`universe_for` / `symbols_for_day`, the seam the pipeline calls, filtered by the settings."""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta

import pytest
from warehouse.helpers import opened_by_a_new_process

from binance_assets.binance.errors import UniverseError
from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.sim_universe import make_universe
from binance_assets.binance.simulator import simulate_universe_mirror
from binance_assets.binance.universe import Listing, SymbolUniverse
from binance_assets.binance.universe_source import MirrorUniverseSource
from binance_assets.settings import Settings
from binance_assets.warehouse import PartitionWriteError, Warehouse
from binance_assets.warehouse.table_names import SYMBOL_UNIVERSE_TABLE
from binance_assets.warehouse.universe import (
    read_universe,
    refresh_universe,
    symbols_for_day,
    universe_for,
    universe_updated_at,
    write_universe,
)

D = date(2019, 6, 1)
LISTINGS = [
    Listing("BTCUSDT", "BTC", "USDT", "TRADING", date(2017, 8, 17), None, 1.5e9),
    Listing("BCCUSDT", "BCC", "USDT", "BREAK", date(2017, 11, 13), date(2018, 11, 20), 12.25),
    Listing("ZZTOP1", "ZZ", "TOP1", "TRADING", date(2019, 6, 3), None, None),
    Listing("ETHBTC", "ETH", "BTC", "HALT", date(2017, 8, 17), None, 0.0),
]


def settings(tmp_path, **kwargs) -> Settings:
    return Settings(data_dir=tmp_path, duckdb_path=tmp_path / "w.duckdb", start_date=date(2017, 8, 17), **kwargs)


def test_the_table_has_the_agreed_columns_and_types(warehouse: Warehouse):
    schema, table = SYMBOL_UNIVERSE_TABLE.split(".")
    rows = warehouse.query(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).to_dict("records")
    types = {"varchar": "varchar", "character varying": "varchar", "date": "date", "double": "double",
             "double precision": "double", "timestamp": "timestamp", "timestamp without time zone": "timestamp"}
    assert [(r["column_name"], types[r["data_type"].lower()], r["is_nullable"]) for r in rows] == [
        ("symbol", "varchar", "NO"), ("base_asset", "varchar", "NO"), ("quote_asset", "varchar", "NO"),
        ("status", "varchar", "NO"), ("first_day", "date", "NO"), ("last_day", "date", "YES"),
        ("quote_volume", "double", "YES"), ("updated_at", "timestamp", "NO"),
    ]  # fmt: skip


def test_write_then_read_round_trips_and_replaces(warehouse: Warehouse):
    assert len(read_universe(warehouse)) == 0 and universe_updated_at(warehouse) is None
    version = warehouse.publish_version()
    at = dt.datetime(2026, 12, 6, 4, 0, 0, 123456)
    assert write_universe(warehouse, LISTINGS, updated_at=at) == 4
    assert warehouse.publish_version() == version + 1  # the API's caches see the new universe
    back = read_universe(warehouse)
    assert back.listings == sorted(LISTINGS, key=lambda x: x.symbol)
    assert universe_updated_at(warehouse) == at
    raw = warehouse.query(f"SELECT * FROM {SYMBOL_UNIVERSE_TABLE} WHERE symbol = ?", ["BCCUSDT"]).to_dict("records")
    assert raw[0]["first_day"] == date(2017, 11, 13) and raw[0]["last_day"] == date(2018, 11, 20)
    assert raw[0]["quote_volume"] == 12.25 and raw[0]["status"] == "BREAK"
    # 2019's symbols, from the record: BCCUSDT stopped in 2018, ZZTOP1 starts on 2019-06-03.
    assert back.symbols_on(D) == ["BTCUSDT", "ETHBTC"]
    assert back.symbols_on(date(2018, 1, 1)) == ["BCCUSDT", "BTCUSDT", "ETHBTC"]
    # A second write replaces the whole table.
    write_universe(warehouse, SymbolUniverse(LISTINGS[:1]))
    assert read_universe(warehouse).symbols == ["BTCUSDT"]
    assert universe_updated_at(warehouse) > at


def test_a_failed_write_leaves_the_previous_universe(warehouse: Warehouse, monkeypatch):
    write_universe(warehouse, LISTINGS)
    version = warehouse.publish_version()
    original = warehouse._execute

    def failing(con, sql, params):
        if sql.startswith("INSERT INTO") and "symbol_universe" in sql:
            raise RuntimeError("disk full")
        return original(con, sql, params)

    monkeypatch.setattr(warehouse, "_execute", failing)
    with pytest.raises(PartitionWriteError, match="rolled back, the previous universe is unchanged: RuntimeError"):
        write_universe(warehouse, LISTINGS[:2])
    monkeypatch.undo()
    assert read_universe(warehouse).listings == sorted(LISTINGS, key=lambda x: x.symbol)
    assert warehouse.publish_version() == version


def test_many_symbols_in_one_write(warehouse: Warehouse):
    listings = [
        Listing(f"S{i:04d}USDT", f"S{i:04d}", "USDT", "TRADING", D + timedelta(days=i % 30), None, float(i))
        for i in range(2000)
    ]
    assert write_universe(warehouse, listings) == 2000
    back = read_universe(warehouse)
    assert len(back) == 2000 and back.listing("S1234USDT") == listings[1234]
    assert len(back.symbols_on(D + timedelta(days=9))) == sum(1 for i in range(2000) if i % 30 <= 9)


def test_an_old_warehouse_gets_the_table(warehouse: Warehouse):
    warehouse.query(f"DROP TABLE {SYMBOL_UNIVERSE_TABLE}")
    fresh = opened_by_a_new_process(warehouse)
    fresh.ensure_schema()
    assert write_universe(fresh, LISTINGS) == 4


def test_universe_for_filters_by_the_settings(warehouse: Warehouse, tmp_path):
    write_universe(warehouse, LISTINGS)
    assert universe_for(settings(tmp_path, symbols=["*"]), warehouse).symbols == ["BCCUSDT", "BTCUSDT", "ETHBTC",
                                                                                  "ZZTOP1"]
    assert universe_for(settings(tmp_path, symbols=["ZZTOP1", "BTCUSDT"]), warehouse).symbols == ["BTCUSDT", "ZZTOP1"]
    only_usdt = settings(tmp_path, symbols=[], universe_quote_assets=["USDT"], universe_deny=["BCCUSDT"])
    assert universe_for(only_usdt, warehouse).symbols == ["BTCUSDT"]
    liquid = settings(tmp_path, symbols=[], universe_min_quote_volume=10.0)
    assert universe_for(liquid, warehouse).symbols == ["BCCUSDT", "BTCUSDT"]
    everything = settings(tmp_path, symbols=[])
    assert symbols_for_day(everything, warehouse, date(2019, 6, 3)) == ["BTCUSDT", "ETHBTC", "ZZTOP1"]
    assert symbols_for_day(everything, warehouse, date(2017, 8, 16)) == []
    late_start = Settings(data_dir=tmp_path, symbols=[], start_date=date(2019, 6, 2))
    assert symbols_for_day(late_start, warehouse, D) == [] and symbols_for_day(late_start, warehouse, D + timedelta(2))
    with pytest.raises(UniverseError, match="does not list: NOPEUSDT"):
        universe_for(settings(tmp_path, symbols=["BTCUSDT", "NOPEUSDT"]), warehouse)


def test_an_empty_table_falls_back_to_the_allow_list(warehouse: Warehouse, tmp_path):
    demo = settings(tmp_path, symbols=["BTCUSDT", "ZZTOP1"])
    fallback = universe_for(demo, warehouse)
    assert fallback.symbols == ["BTCUSDT", "ZZTOP1"]
    assert fallback.symbols_on(demo.start_date) == ["BTCUSDT", "ZZTOP1"]
    assert fallback.symbols_on(demo.start_date - timedelta(days=1)) == []
    with pytest.raises(UniverseError, match="is empty and BINANCE_ASSETS_SYMBOLS names no symbol: refresh"):
        universe_for(settings(tmp_path, symbols=["*"]), warehouse)


def test_refresh_from_a_simulated_mirror_records_the_universe(warehouse: Warehouse, tmp_path):
    start, days = date(2025, 1, 1), 10
    simulated = make_universe(10, start=start, seed=4, names=["ZZTOP1"], total_trades=3000)
    simulate_universe_mirror(tmp_path / "mirror", simulated, start, days, kinds=[ArchiveKind.AGG_TRADES])
    end = start + timedelta(days=days - 1)
    refreshed = refresh_universe(warehouse, MirrorUniverseSource(tmp_path / "mirror"), today=end)
    assert read_universe(warehouse) == refreshed
    for offset in range(days):
        day = start + timedelta(days=offset)
        archived = sorted(p.parent.name for p in (tmp_path / "mirror").glob(f"data/spot/daily/aggTrades/*/*{day}.zip"))
        assert refreshed.symbols_on(day) == archived
    # The allow-list works with the names the simulator was asked for.
    cfg = Settings(data_dir=tmp_path, symbols=["ZZTOP1"], start_date=start)
    assert symbols_for_day(cfg, warehouse, start) == ["ZZTOP1"]
