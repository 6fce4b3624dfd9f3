"""The feature asset through Dagster: its declared D-1 dependency under declarative automation, and
write-audit-publish (a partition that fails its blocking pandera check is never published)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd
import pytest
from support.bars import synthetic_bars

from binance_assets.features.assets import (
    BARS_KEY,
    MINUTE_FEATURES_KEY,
    build_minute_features_asset,
)
from binance_assets.features.checks import SCHEMA_CHECK
from binance_assets.lib.partitions import daily_partitions, day_key, scope_tags
from binance_assets.lib.resources import WarehouseResource
from binance_assets.settings import Settings
from binance_assets.warehouse.table_names import FEATURES_TABLE as MINUTE_FEATURES_TABLE

FIRST = dt.date(2025, 1, 1)  # the first partition: it has no D-1
SYMBOLS = ["BTCUSDT", "ETHUSDT"]
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}

SETTINGS = Settings(start_date=FIRST, symbols=SYMBOLS, label_horizon_minutes=5)
PARTITIONS = daily_partitions(SETTINGS)
FEATURES = build_minute_features_asset(PARTITIONS, SETTINGS)
# The bars as the dbt asset declares them (same partitions); no resource is used by the graph itself.
GRAPH = dg.Definitions(assets=[dg.AssetSpec(BARS_KEY, partitions_def=PARTITIONS), FEATURES],
                       resources={"warehouse": dg.ResourceDefinition.none_resource()})


def day(offset: int) -> dt.date:
    return FIRST + dt.timedelta(days=offset)


def key(offset: int) -> str:
    return day_key(day(offset))


# --- the declared time dependency ------------------------------------------------------------------


def test_feature_partition_maps_to_its_day_and_the_previous_days_bars():
    graph = GRAPH.resolve_asset_graph()
    subset = graph.get_parent_partition_keys_for_child
    # D -> bars D-1 and D
    assert set(subset(key(3), BARS_KEY, MINUTE_FEATURES_KEY).partitions_subset
               .get_partition_keys()) == {key(2), key(3)}
    first = subset(key(0), BARS_KEY, MINUTE_FEATURES_KEY)
    assert set(first.partitions_subset.get_partition_keys()) == {key(0)}  # no D-1 before the first day
    assert not first.required_but_nonexistent_subset.get_partition_keys()


def _bars_landed(instance: dg.DagsterInstance, *keys: str) -> None:
    for partition in keys:
        instance.report_runless_asset_event(dg.AssetMaterialization(BARS_KEY, partition=partition))


def _requested(result) -> set[str]:
    return {str(k) for k in result.get_requested_partitions(MINUTE_FEATURES_KEY)}


def test_a_late_or_changed_previous_day_refreshes_the_day_under_automation():
    defs = GRAPH
    now = dt.datetime(2025, 1, 8, 12, tzinfo=dt.UTC)
    with dg.instance_for_test() as instance:
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=now)
        assert _requested(result) == set()  # no bars yet
        # Bars of the first day land: its features run although it has no D-1.
        _bars_landed(instance, key(0))
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=result.cursor,
                                                   evaluation_time=now)
        assert _requested(result) == {key(0)}
        cursor = result.cursor

        # Day 2 lands before day 1 (late file): day 2 waits for its declared D-1...
        _bars_landed(instance, key(2))
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor, evaluation_time=now)
        assert _requested(result) == set()
        cursor = result.cursor

        # ...and when day 1 lands, both day 1 and day 2 are computed (day 2 with its windows warmed up).
        _bars_landed(instance, key(1))
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor, evaluation_time=now)
        assert _requested(result) == {key(1), key(2)}
        cursor = result.cursor
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor, evaluation_time=now)
        assert _requested(result) == set()  # settled: nothing twice
        cursor = result.cursor

        # A corrected day 1 (e.g. a replaced archive) refreshes day 1 and day 2.
        _bars_landed(instance, key(1))
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor, evaluation_time=now)
        assert _requested(result) == {key(1), key(2)}


# --- write-audit-publish ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> WarehouseResource:
    resource = WarehouseResource(kind="duckdb", duckdb_path=str(tmp_path_factory.mktemp("wap") / "wh.duckdb"),
                                 dbt_target="local")
    wh = resource.get()
    for offset in (0, 1):
        wh.replace_table_partition("marts.fct_bars_1m", "BTCUSDT", day(offset),
                                   synthetic_bars(day(offset), seed=offset, active=1440))
    return resource


def _materialize(warehouse: WarehouseResource, instance, offset: int, symbols=None):
    return dg.materialize([FEATURES], partition_key=key(offset), resources={"warehouse": warehouse},
                          instance=instance, run_config=QUIET, raise_on_error=False, tags=scope_tags(symbols))


def _check_evaluations(result) -> list:
    return [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]


def test_first_day_is_computed_without_a_previous_day_and_published_after_its_check(warehouse):
    with dg.instance_for_test() as instance:
        result = _materialize(warehouse, instance, 0)
        assert result.success
        (evaluation,) = _check_evaluations(result)
        assert (evaluation.check_name, evaluation.passed) == (SCHEMA_CHECK, True)
        # The check targets the materialization it audited: Dagster's blocking-check conditions (the ml
        # location's predictions wait on them) ignore a check that targets an older materialization.
        assert evaluation.target_materialization_data is not None
        assert evaluation.target_materialization_data.run_id == result.run_id
        (mat,) = result.asset_materializations_for_node("features__minute_features")
        assert mat.metadata["warm_up_day"].value.startswith("none")
        assert mat.metadata["dagster/row_count"].value == 1440
        second = _materialize(warehouse, instance, 1)
        assert second.success
        (mat,) = second.asset_materializations_for_node("features__minute_features")
        assert mat.metadata["warm_up_day"].value == day(0).isoformat()
    published = warehouse.get().read_table(MINUTE_FEATURES_TABLE, symbols=["BTCUSDT"], start=day(1), end=day(1))
    assert len(published) == 1440 and published["log_ret_60m"].notna().all()  # warmed up by day 0


def test_a_partition_failing_its_check_is_never_published(warehouse):
    wh = warehouse.get()
    with dg.instance_for_test() as instance:
        assert _materialize(warehouse, instance, 1).success
        good = wh.read_table(MINUTE_FEATURES_TABLE, symbols=["BTCUSDT"], start=day(1), end=day(1))
        good_bars = wh.query("select * from marts.fct_bars_1m where trade_date = ?", [day(1)])
        bad_bars = good_bars.copy()
        bad_bars.loc[100:110, "high"] = bad_bars.loc[100:110, "low"] * 0.99  # high < low: negative hl_spread
        wh.replace_table_partition("marts.fct_bars_1m", "BTCUSDT", day(1), bad_bars)
        try:
            result = _materialize(warehouse, instance, 1)
        finally:
            wh.replace_table_partition("marts.fct_bars_1m", "BTCUSDT", day(1), good_bars)
        assert not result.success
        (evaluation,) = _check_evaluations(result)
        assert evaluation.check_name == SCHEMA_CHECK and not evaluation.passed
        assert evaluation.metadata["failure_count"].value >= 11
        assert "hl_spread" in str(evaluation.metadata["failure_cases"].value)
        assert not result.asset_materializations_for_node("features__minute_features")
        # What the UI shows for the partition: the failed check, recorded on the instance.
        record = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(MINUTE_FEATURES_KEY, SCHEMA_CHECK), limit=1
        )[0]
        assert record.event.dagster_event.event_specific_data.passed is False
    # What predictions and model training read: the published, checked copy, unchanged.
    after = wh.read_table(MINUTE_FEATURES_TABLE, symbols=["BTCUSDT"], start=day(1), end=day(1))
    pd.testing.assert_frame_equal(after, good)


def test_a_day_run_computes_every_symbol_and_a_scoped_run_only_its_own(warehouse):
    """One run of a day computes each symbol's features from that symbol's bars alone (the same rows as when it
    was the only symbol); a run tagged with one symbol, once the day was built, rewrites that symbol's rows only."""
    wh = warehouse.get()
    with dg.instance_for_test() as instance:
        assert _materialize(warehouse, instance, 1).success  # BTCUSDT's bars alone
        alone = wh.read_table(MINUTE_FEATURES_TABLE, symbols=["BTCUSDT"], start=day(1), end=day(1))
        eth_bars = synthetic_bars(day(1), symbol="ETHUSDT", seed=7, active=1440)
        wh.replace_table_partition("marts.fct_bars_1m", "ETHUSDT", day(1), eth_bars)
        result = _materialize(warehouse, instance, 1)
        assert result.success
        (mat,) = result.asset_materializations_for_node("features__minute_features")
        assert mat.metadata["symbols"].value == 2 and mat.metadata["dagster/row_count"].value == 2 * 1440
        both = wh.read_table(MINUTE_FEATURES_TABLE, start=day(1), end=day(1))
        assert sorted(both["symbol"].unique()) == SYMBOLS
        pd.testing.assert_frame_equal(both[both["symbol"] == "BTCUSDT"].reset_index(drop=True), alone)
        eth_before = both[both["symbol"] == "ETHUSDT"].reset_index(drop=True)
        # ETHUSDT's bars change, but a run scoped to BTCUSDT (its late or replaced file) leaves ETHUSDT's rows.
        wh.replace_table_partition("marts.fct_bars_1m", "ETHUSDT", day(1),
                                   synthetic_bars(day(1), symbol="ETHUSDT", seed=8, active=1440))
        assert _materialize(warehouse, instance, 1, ["BTCUSDT"]).success
        eth_after = wh.read_table(MINUTE_FEATURES_TABLE, symbols=["ETHUSDT"], start=day(1), end=day(1))
        pd.testing.assert_frame_equal(eth_after, eth_before)
        # An unscoped run rebuilds it.
        assert _materialize(warehouse, instance, 1).success
        eth_rebuilt = wh.read_table(MINUTE_FEATURES_TABLE, symbols=["ETHUSDT"], start=day(1), end=day(1))
        assert not eth_rebuilt["log_ret_1m"].equals(eth_before["log_ret_1m"])
    wh.query(f"delete from {MINUTE_FEATURES_TABLE} where symbol = 'ETHUSDT'")
    wh.query("delete from marts.fct_bars_1m where symbol = 'ETHUSDT'")
