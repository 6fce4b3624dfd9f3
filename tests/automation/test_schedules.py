"""The daily catch-up schedule requests exactly the raw partitions of recent due days that are missing."""

import datetime as dt

import dagster as dg
from warehouse.helpers import load, sample

from binance_assets.automation.schedules import build_backfill_schedule, missing_partitions
from binance_assets.ingestion.assets import build_raw_assets
from binance_assets.lib.keys import raw_asset_key
from binance_assets.lib.partitions import DaySymbol, daily_partitions
from binance_assets.lib.resources import WarehouseResource
from binance_assets.resources import resources_for
from binance_assets.settings import Settings
from binance_assets.warehouse import RAW_TABLES, DuckDBWarehouse

D1, D2, D3 = dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)
SYMBOLS = ["BTCUSDT", "ETHUSDT"]
UM = ["BTCUSDT"]  # the USD-M perpetuals (their own symbol list)


def test_missing_partitions_lists_the_tables_each_partition_lacks():
    loaded = {("spot_trades", "BTCUSDT", D1), ("spot_klines_1m", "BTCUSDT", D1)}
    missing = missing_partitions(loaded, ["spot_trades", "spot_klines_1m"], ["BTCUSDT"], [D1, D2])
    assert missing == {
        DaySymbol(D2, "BTCUSDT"): ["spot_trades", "spot_klines_1m"],
    }
    assert missing_partitions(loaded, ["spot_trades"], ["BTCUSDT"], [D1]) == {}


def test_schedule_requests_runs_for_missed_partitions_only(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    # D1 complete for both spot symbols and the USD-M one, D2 only BTCUSDT's spot trades and USD-M trades.
    for table in RAW_TABLES:
        for symbol in SYMBOLS if table.startswith("spot_") else UM:
            warehouse.replace_partition(table, symbol, D1, sample(table, day=D1), load())
    for table in ("spot_trades", "um_trades"):
        warehouse.replace_partition(table, "BTCUSDT", D2, sample(table, day=D2), load())
    settings = Settings(data_dir=tmp_path, symbols=SYMBOLS, um_symbols=UM, start_date=D1,
                        raw_due_hours_after_midnight=6)
    schedule = build_backfill_schedule(settings)
    resources = {"warehouse": WarehouseResource(kind="duckdb", duckdb_path=str(tmp_path / "w.duckdb"))}
    repository = dg.Definitions(
        assets=build_raw_assets(daily_partitions(settings), settings),
        schedules=[schedule],
        resources={**resources_for(settings), **resources},
    ).get_repository_def()

    # At 08:00 on D4, D3's deadline (06:00 on D4) has passed: D1..D3 are due.
    when = dt.datetime(2025, 1, 4, 8, 0, tzinfo=dt.UTC)
    with dg.instance_for_test() as instance, dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, resources=resources, repository_def=repository
    ) as context:
        requests = schedule.evaluate_tick(context).run_requests
    # One run per day; each raw table loads exactly the symbols of its market that lack it.
    wanted = {
        r.partition_key: {op.removeprefix("raw__"): c["config"]["symbols"] for op, c in r.run_config["ops"].items()}
        for r in requests
    }
    assert wanted == {
        D2.isoformat(): {"spot_trades": ["ETHUSDT"], "spot_agg_trades": SYMBOLS, "spot_klines_1m": SYMBOLS,
                         "um_agg_trades": UM, "um_klines_1m": UM},
        D3.isoformat(): {t: SYMBOLS if t.startswith("spot_") else UM for t in RAW_TABLES},
    }
    assert [k.path[-1] for k in requests[0].asset_selection] == [t for t in RAW_TABLES if t != "um_trades"]
    assert [k.path[-1] for k in requests[1].asset_selection] == list(RAW_TABLES)
    assert len({r.run_key for r in requests}) == 2
    assert all(k in {raw_asset_key(t) for t in RAW_TABLES} for r in requests for k in r.asset_selection)

    # Before D2's deadline nothing but D1 is due, and D1 is complete.
    early = dt.datetime(2025, 1, 3, 5, 0, tzinfo=dt.UTC)
    with dg.instance_for_test() as instance, dg.build_schedule_context(
        instance=instance, scheduled_execution_time=early, resources=resources, repository_def=repository
    ) as context:
        result = schedule.evaluate_tick(context)
    assert not result.run_requests
    assert "is loaded" in result.skip_message
