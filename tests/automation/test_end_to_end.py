"""A new day lands in the mirror; the landing sensor and the automation conditions (ticked in process,
as dagster-daemon would) carry it through raw, dbt marts, features and predictions."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from support.ingestion import day_run, make_settings

from binance_assets.automation.local_daemon import LocalDaemon
from binance_assets.automation.sensor_support import LANDING_SENSOR
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.definitions import MAIN_JOB, build_defs
from binance_assets.lib.partitions import SYMBOLS_TAG
from binance_assets.ml.definitions import TRAIN_JOB, build_ml_defs

pytestmark = pytest.mark.xdist_group("e2e-day")

SYMBOL = "ETHUSDT"
START = dt.date(2025, 1, 1)
HISTORY = 2
NEW_DAY = START + dt.timedelta(days=HISTORY)
TRADES = 6_000


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    mirror = root / "mirror"
    simulate_mirror(mirror, [SYMBOL], START, HISTORY, seed=9, trades_per_day=TRADES, signal=1.0)
    settings = make_settings(root, mirror).model_copy(
        update={"symbols": [SYMBOL], "model_registry_url": str(root / "models")}
    )
    with dg.instance_for_test() as instance:
        market, ml = LocalDaemon(build_defs(settings), instance), LocalDaemon(build_ml_defs(settings), instance)
        # History as the platform would have it: every partition materialized, a champion trained.
        main_job = market.defs.resolve_job_def(MAIN_JOB)
        for offset in range(HISTORY):
            result = main_job.execute_in_process(
                instance=instance, **day_run(START + dt.timedelta(days=offset))  # every symbol of the day
            )
            assert result.success
        train = ml.defs.resolve_job_def(TRAIN_JOB).execute_in_process(
            instance=instance,
            run_config={"ops": {f"models__{name}": {"config": {"train_days": HISTORY, "n_splits": 3}}
                                for name in ("price_direction_classifier", "forward_return_regressor")}},
        )
        assert train.success
        # The daemon has been ticking all along: its first evaluation takes the present state as handled.
        for daemon in (market, ml):
            daemon.tick_automation()
        yield settings, mirror, market, ml


def test_new_day_flows_from_landing_to_predictions(platform):
    _, mirror, market, ml = platform
    warehouse = market.defs.resources["warehouse"].get()

    # Switched on over the loaded history (no cursor), the sensor requests nothing: raw.load_log holds every file.
    requests, cursor = market.tick_sensor(LANDING_SENSOR, None)
    assert requests == []

    simulate_mirror(mirror, [SYMBOL], NEW_DAY, 1, seed=9, trades_per_day=TRADES, signal=1.0)
    requests, cursor = market.tick_sensor(LANDING_SENSOR, cursor)
    (request,) = requests  # one run for the day's three archives and, in the same run, what is downstream
    assert {key.path[-1] for key in request.asset_selection[:3]} == {"spot_agg_trades", "spot_klines_1m", "spot_trades"}
    assert {"marts/fct_bars_1m", "features/minute_features"} <= {k.to_user_string() for k in request.asset_selection}
    assert request.partition_key == NEW_DAY.isoformat()  # one run per day, scoped to the symbols that landed
    assert request.tags[SYMBOLS_TAG] == SYMBOL
    assert all(run.success for run in market.run_requests(requests))
    assert market.tick_sensor(LANDING_SENSOR, cursor)[0] == []  # nothing repeated
    assert warehouse.partition_row_count("spot_trades", SYMBOL, NEW_DAY) > 0

    def predictions_for_new_day() -> int:
        if not warehouse.table_exists("ml.predictions"):
            return 0
        return len(warehouse.read_table("ml.predictions", symbols=[SYMBOL], start=NEW_DAY, end=NEW_DAY))

    for _ in range(6):  # automation ticks: dbt models, then features, then predictions
        for daemon in (market, ml):
            for run in daemon.tick_automation():
                assert run.success
        if predictions_for_new_day():
            break
    bars = warehouse.query("select count(*) as n from marts.fct_bars_1m where trade_date = ?", [NEW_DAY])
    assert bars["n"].iloc[0] > 0
    features = warehouse.read_table("features.minute_features", symbols=[SYMBOL], start=NEW_DAY, end=NEW_DAY)
    assert len(features) == 1440
    assert predictions_for_new_day() == 2 * 1440  # both champions, every minute

    # Settled: another round of ticks requests nothing (no run twice).
    assert market.tick_automation() == [] and ml.tick_automation() == []
