"""Two symbols of one day land apart, in process as dagster-daemon would run them (landing sensor, both
locations' automation): one symbol complete, then the other's trades alone, then the rest of its files.
No run fails on the way (a symbol whose klines have not landed is not built: its bars would fail the
reconciliation with the archive's klines), a symbol is built once all its files are there, and every symbol
ends with bars, features and predictions. Expected counts from the simulator's rows."""

import datetime as dt

import dagster as dg
import pytest
from support.ingestion import make_settings

from binance_assets.automation.local_daemon import LocalDaemon
from binance_assets.automation.sensor_support import LANDING_SENSOR
from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.definitions import MAIN_JOB, build_defs
from binance_assets.ml.definitions import TRAIN_JOB, build_ml_defs

pytestmark = pytest.mark.xdist_group("e2e-symbols")

BTC, ETH = "BTCUSDT", "ETHUSDT"
START, HISTORY, TRADES, SEED = dt.date(2025, 1, 1), 2, 2_000, 21
DAY = START + dt.timedelta(days=HISTORY)


def test_a_symbol_is_built_once_all_its_files_landed_and_no_run_fails(tmp_path):
    mirror = tmp_path / "mirror"
    simulate_mirror(mirror, [BTC, ETH], START, HISTORY, seed=SEED, trades_per_day=TRADES, signal=1.0)
    settings = make_settings(tmp_path, mirror).model_copy(update={"model_registry_url": str(tmp_path / "models")})
    with dg.instance_for_test() as instance:
        market, ml = LocalDaemon(build_defs(settings), instance), LocalDaemon(build_ml_defs(settings), instance)
        for offset in range(HISTORY):  # history: one run per day, every symbol
            day = (START + dt.timedelta(days=offset)).isoformat()
            assert market.defs.resolve_job_def(MAIN_JOB).execute_in_process(instance=instance,
                                                                            partition_key=day).success
        assert ml.defs.resolve_job_def(TRAIN_JOB).execute_in_process(instance=instance, run_config={"ops": {
            f"models__{name}": {"config": {"train_days": HISTORY, "n_splits": 3}}
            for name in ("price_direction_classifier", "forward_return_regressor")}}).success
        _, cursor = market.tick_sensor(LANDING_SENSOR, None)
        for daemon in (market, ml):
            daemon.tick_automation()
        warehouse = market.defs.resources["warehouse"].get()

        def land(symbol: str, kinds: list[ArchiveKind]) -> None:
            nonlocal cursor
            simulate_mirror(mirror, [symbol], DAY, 1, seed=SEED, trades_per_day=TRADES, kinds=kinds, signal=1.0)
            requests, cursor = market.tick_sensor(LANDING_SENSOR, cursor)
            assert [(r.partition_key, r.tags["binance/symbols"]) for r in requests] == [(DAY.isoformat(), symbol)]
            market.run_requests(requests)
            for _ in range(8):
                if not [run for daemon in (market, ml) for run in daemon.tick_automation()]:
                    return
            raise AssertionError("automation still requesting runs after 8 rounds")

        def symbols(table: str) -> set[str]:
            if not warehouse.table_exists(table):
                return set()
            rows = warehouse.query(f"select distinct symbol from {table} where trade_date = ?", [DAY])
            return set(rows["symbol"])

        land(ETH, [ArchiveKind.TRADES, ArchiveKind.AGG_TRADES, ArchiveKind.KLINES])
        assert symbols("marts.fct_bars_1m") == {ETH}
        land(BTC, [ArchiveKind.TRADES])  # the day's raw partition updates; BTC's klines are not there
        assert symbols("marts.fct_bars_1m") == {ETH}
        land(BTC, [ArchiveKind.AGG_TRADES, ArchiveKind.KLINES])
        for table in ("marts.fct_bars_1m", "features.minute_features", "ml.predictions"):
            assert symbols(table) == {BTC, ETH}, table
        failed = [run.run_id for run in market.runs + ml.runs if not run.success]
        assert failed == []
