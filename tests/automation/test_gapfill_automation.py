"""A gap-filled day flows downstream unattended, like an archived one (issue 19 item 5).

One day, two symbols: BTCUSDT's archives are published, ETHUSDT's are withheld. `rest_gapfill_sensor`
asks for ETHUSDT's partition, its run fills it over REST (the project's REST simulator) and reports the
raw assets' check results. A run of the raw assets alone: the automation conditions, evaluated in process
(as dagster-daemon does), request the same dbt models of the gap-filled partition as of the archived one,
and then its marts. The run the daemon makes (the sensor with its code location) builds the day's dbt
models and features itself, as a landing run does. REST rows that fail a blocking check stop the run with an error that
names them and publish nothing.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from support.ingestion import check_results, day_run

from binance_assets.automation.gapfill import GAPFILL_JOB, GAPFILL_SENSOR, build_gapfill_defs
from binance_assets.automation.local_daemon import LocalDaemon
from binance_assets.binance.rest_sim_market import SimMarket
from binance_assets.binance.rest_simulator import RestSimulator
from binance_assets.binance.schema import Market
from binance_assets.binance.simulator import simulate_day, simulate_mirror
from binance_assets.features.definitions import build_features_defs
from binance_assets.ingestion.definitions import INGEST_JOB, build_ingestion_defs
from binance_assets.ingestion.gapfill_load import load_source
from binance_assets.lib.partitions import SYMBOLS_TAG, daily_partitions
from binance_assets.resources import resources_for
from binance_assets.settings import Environment, Settings
from binance_assets.transform.definitions import build_transform_defs
from binance_assets.warehouse import RAW_TABLES

pytestmark = pytest.mark.e2e

ARCHIVED, FILLED = "BTCUSDT", "ETHUSDT"
DAY = dt.date(2025, 1, 1)
NOW = dt.datetime(2025, 1, 2, 12, tzinfo=dt.UTC)  # DAY was due at 06:00
TRADES, SEED = 200, 7
MARTS = {dg.AssetKey(["marts", name]) for name in ("fct_bars_1m", "fct_symbol_daily", "fct_data_gaps")}
BARS_MARTS = {dg.AssetKey(["marts", name]) for name in ("fct_bars_1m", "fct_data_gaps")}  # from staging models
FEATURES = dg.AssetKey(["features", "minute_features"])
# The tables REST fills here: the spot ones (the suite has no USD-M symbol, BINANCE_ASSETS_UM_SYMBOLS=""; the USD-M
# gap-fill through Dagster is tests/binance/test_rest_gapfill.py's).
FILLABLE = sorted(name for name, t in RAW_TABLES.items() if t.dataset.rest_path and t.dataset.market is Market.SPOT)
STAGING = {dg.AssetKey(["staging", f"stg_binance__{table}"]) for table in FILLABLE}
DAY_KEY = DAY.isoformat()  # both symbols' day: one partition
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@pytest.fixture(scope="module")
def sim():
    market = SimMarket((ARCHIVED, FILLED), DAY, DAY + dt.timedelta(days=1), seed=SEED, trades_per_day=TRADES)
    with RestSimulator(market) as server:
        yield server


@pytest.fixture
def location(sim, tmp_path):
    mirror = tmp_path / "mirror"
    simulate_mirror(mirror, [ARCHIVED], DAY, 1, seed=SEED, trades_per_day=TRADES)  # FILLED's archives withheld
    settings = Settings(
        env=Environment.LOCAL,
        data_dir=tmp_path / "data",
        duckdb_path=tmp_path / "wh.duckdb",
        archive_base_url=str(mirror),
        symbols=[ARCHIVED, FILLED],
        start_date=DAY,
        rest_base_url=sim.base_url,
    )
    defs = dg.Definitions.merge(
        build_ingestion_defs(settings),
        build_transform_defs(settings),
        build_features_defs(settings),
        build_gapfill_defs(settings, daily_partitions(settings), clock=lambda: NOW),
        dg.Definitions(resources=resources_for(settings)),
    )
    with dg.instance_for_test() as instance:
        # The daemon has been ticking before the day arrived: its first evaluation sees nothing to do.
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=NOW)
        assert first.total_requested == 0
        archived = defs.resolve_job_def(INGEST_JOB).execute_in_process(
            **day_run(DAY, ARCHIVED), instance=instance, run_config=QUIET
        )
        assert archived.success
        yield defs, instance, first.cursor


def gap_fill(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """Tick the gap-fill sensor without the code location at hand (so its run is the raw assets only, as an
    incomplete landing run or the poller's) and run what it asks for."""
    with dg.build_sensor_context(instance=instance, resources=defs.resources) as context:
        [request] = defs.resolve_sensor_def(GAPFILL_SENSOR)(context)
    assert request.partition_key == DAY_KEY
    assert request.tags[SYMBOLS_TAG] == FILLED  # the archived symbol is complete
    return defs.resolve_job_def(GAPFILL_JOB).execute_in_process(
        partition_key=request.partition_key,
        run_config={**request.run_config, **QUIET},
        asset_selection=getattr(request, "asset_selection", None),
        tags=request.tags,
        instance=instance,
        raise_on_error=False,
    )


def requested(defs: dg.Definitions, instance: dg.DagsterInstance, cursor) -> tuple[dict[str, set[dg.AssetKey]], object]:
    """({partition: asset keys} the automation conditions request at the next tick, the new cursor)."""
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor, evaluation_time=NOW)
    by_partition: dict[str, set[dg.AssetKey]] = {}
    for key in defs.resolve_asset_graph().get_all_asset_keys():
        for partition in result.get_requested_partitions(key):
            by_partition.setdefault(str(partition), set()).add(key)
    return by_partition, result.cursor


def test_automation_requests_the_marts_of_a_gap_filled_day_like_those_of_an_archived_one(location):
    defs, instance, cursor = location
    filled = gap_fill(defs, instance)
    assert filled.success

    # The gap-fill run is a materialization of each raw asset, from REST, with the raw checks' results.
    materialized = {e.asset_key.path[-1]: e.materialization for e in filled.get_asset_materialization_events()}
    assert set(materialized) == set(FILLABLE)
    assert {m.metadata["source"].value for m in materialized.values()} == {"rest"}
    checks = check_results(filled)
    for table in FILLABLE:
        assert checks[(table, "pandera_schema")].passed and checks[(table, "unique_ids")].passed
    warehouse = defs.resources["warehouse"].get()
    day = simulate_day(FILLED, DAY, seed=SEED, trades_per_day=TRADES)  # what the withheld archives hold
    for table in (RAW_TABLES[name] for name in FILLABLE):
        log = warehouse.load_log(table.name, FILLED, DAY)
        assert load_source(log) == "rest" and log["version"] == 1
        assert log["rows"] == day.table(table.kind).num_rows > 0

    # The next tick asks for the day's dbt staging models of its raw tables, as for an archived day.
    wanted, cursor = requested(defs, instance, cursor)
    assert wanted.get(DAY_KEY, set()) == STAGING

    # The daemon runs them and ticks again: the marts of the day are requested.
    daemon = LocalDaemon(defs, instance)
    run = daemon.execute(sorted(wanted[DAY_KEY], key=str), DAY_KEY)
    assert run.success
    wanted, cursor = requested(defs, instance, cursor)
    assert BARS_MARTS <= wanted.get(DAY_KEY, set())

    # ... and once the daemon has built them, the daily stats and the features, which wait for the bars and
    # their blocking checks (a dbt test on the bars that needed the daily stats could not run in a run of the
    # bars alone: it stayed unevaluated and held both here, for good); then nothing is left of the day.
    assert daemon.execute(sorted(wanted[DAY_KEY], key=str), DAY_KEY).success
    wanted, cursor = requested(defs, instance, cursor)
    assert {dg.AssetKey(["marts", "fct_symbol_daily"]), FEATURES} <= wanted.get(DAY_KEY, set())
    assert daemon.execute(sorted(wanted[DAY_KEY], key=str), DAY_KEY).success
    wanted, _ = requested(defs, instance, cursor)
    assert DAY_KEY not in wanted
    # Both symbols' rows were built: the gap-filled one and the archived one.
    features = warehouse.read_table("features.minute_features", start=DAY, end=DAY)
    assert sorted(features["symbol"].unique()) == [ARCHIVED, FILLED]


def test_the_daemons_gap_fill_run_builds_the_days_marts_and_features(location):
    defs, instance, cursor = location
    daemon = LocalDaemon(defs, instance)
    [request], _ = daemon.tick_sensor(GAPFILL_SENSOR, None)  # with the code location, as dagster-daemon
    [run] = daemon.run_requests([request])
    assert run.success

    built = {e.asset_key for e in run.get_asset_materialization_events() if e.partition == DAY_KEY}
    assert {key.path[-1] for key in built if key.path[0] == "raw"} == set(FILLABLE)
    assert STAGING | MARTS | {FEATURES} <= built
    evaluations = check_results(run)
    assert evaluations and all(e.passed for e in evaluations.values())
    # The run was scoped to the gap-filled symbol, yet the archived symbol, loaded by a raw-only run before
    # and never built downstream, was built too (a scoped run never hides another symbol's update), so
    # nothing of the day is left for automation in this location (its predictions, in the ml location,
    # follow the new features there).
    features = defs.resources["warehouse"].get().read_table("features.minute_features", start=DAY, end=DAY)
    assert sorted(features["symbol"].unique()) == [ARCHIVED, FILLED]
    wanted, _ = requested(defs, instance, cursor)
    assert DAY_KEY not in wanted


def test_rest_rows_that_fail_a_blocking_check_stop_the_run(location, sim):
    defs, instance, _ = location
    sim.inject("duplicate_row", path="/api/v3/aggTrades", times=3)  # every aggTrades page of the day
    filled = gap_fill(defs, instance)
    sim.reset()
    assert not filled.success

    [failure] = [e for e in filled.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "raw__spot_agg_trades"
    description = failure.event_specific_data.error.message
    assert "raw.spot_agg_trades 2025-01-01: 1 file(s) not published (ETHUSDT: blocking checks failed (unique_ids: " \
        in description
    assert "duplicated agg_trade_id values" in description
    assert not checks_passed(filled, "spot_agg_trades", "unique_ids")
    warehouse = defs.resources["warehouse"].get()
    assert warehouse.load_log("spot_agg_trades", FILLED, DAY) is None
    assert warehouse.partition_row_count("spot_agg_trades", FILLED, DAY) == 0

    # ... nor materialized: automation has no new raw.spot_agg_trades of the day to build on.
    assert instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(["raw", "spot_agg_trades"]), asset_partitions=[DAY_KEY]),
        limit=1,
    ).records[0].run_id != filled.run_id


def checks_passed(result: dg.ExecuteInProcessResult, table: str, check: str) -> bool:
    return check_results(result)[(table, check)].passed
