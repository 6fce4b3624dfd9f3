"""Raw partition deadlines (on a real DuckDB warehouse), the `day_file_on_time` check run by Dagster,
its sensor, and the freshness policies."""

import datetime as dt

import dagster as dg
import pytest
from warehouse.helpers import load, sample

from binance_assets.automation import deadlines
from binance_assets.automation.deadline_checks import (
    DEADLINE_CHECK_NAME,
    build_raw_deadline_checks,
    build_raw_deadline_sensor,
    deadline_check_result,
)
from binance_assets.automation.deadlines import (
    DeadlineStatus,
    days_to_check,
    deadline_for,
    evaluate_raw_deadlines,
    latest_due_day,
)
from binance_assets.automation.freshness import (
    apply_freshness_policies,
    apply_freshness_policies_to_defs,
    freshness_policies,
)
from binance_assets.lib.keys import raw_asset_key
from binance_assets.lib.partitions import daily_partitions
from binance_assets.lib.resources import WarehouseResource
from binance_assets.settings import Settings
from binance_assets.warehouse import RAW_TABLES, DuckDBWarehouse

UTC = dt.UTC
D1, D2, D3 = dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)
SYMBOLS = ["BTCUSDT", "ETHUSDT"]
RAW_KEYS = [raw_asset_key(name) for name in RAW_TABLES]
CHECK_JOB = "deadline_checks"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def put(wh: DuckDBWarehouse, table: str, symbol: str, day: dt.date, loaded_at: dt.datetime) -> None:
    """Load a tiny partition, then pretend it was loaded at `loaded_at`."""
    wh.replace_partition(table, symbol, day, sample(table, day=day), load())
    with wh.connect() as con:
        con.execute(
            "UPDATE raw.load_log SET loaded_at = ? WHERE table_name = ? AND symbol = ? AND trade_date = ?",
            [loaded_at.replace(tzinfo=None), table, symbol, day],
        )


@pytest.fixture
def wh(tmp_path) -> DuckDBWarehouse:
    return DuckDBWarehouse(tmp_path / "w.duckdb")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> DuckDBWarehouse:
    """spot_trades: BTCUSDT D1 on time, D2 after its deadline, D3 early; ETHUSDT D1 only.
    spot_klines_1m: every (symbol, day) of D1..D3 on time. spot_agg_trades: nothing. Read-only."""
    wh = DuckDBWarehouse(tmp_path_factory.mktemp("loaded") / "w.duckdb")
    put(wh, "spot_trades", "BTCUSDT", D1, at(D2, 3))
    put(wh, "spot_trades", "BTCUSDT", D2, at(D3, 9))
    put(wh, "spot_trades", "BTCUSDT", D3, at(D3 + dt.timedelta(days=1), 2))
    put(wh, "spot_trades", "ETHUSDT", D1, at(D2, 1))
    for symbol in SYMBOLS:
        for day in (D1, D2, D3):
            put(wh, "spot_klines_1m", symbol, day, at(day + dt.timedelta(days=1), 4))
    return wh


# --- deadline arithmetic ------------------------------------------------------------------------------


def test_deadline_is_due_hours_after_the_next_midnight():
    assert deadline_for(D1, 6) == at(D2, 6)
    assert deadline_for(D1, 0) == at(D2, 0)
    assert latest_due_day(at(D3, 5, 59), 6) == D1
    assert latest_due_day(at(D3, 6), 6) == D2
    assert latest_due_day(dt.datetime(2025, 1, 3, 6), 6) == D2  # naive means UTC
    with pytest.raises(ValueError):
        deadline_for(D1, -1)


def test_days_to_check_lookback_pending_and_start_date():
    due, pending = days_to_check(at(D3 + dt.timedelta(days=1), 5), 6, lookback_days=3)
    assert due == [dt.date(2024, 12, 31), D1, D2] and pending == [D3]
    due, pending = days_to_check(at(D3 + dt.timedelta(days=1), 5), 6, lookback_days=3, start_date=D1)
    assert due == [D1, D2] and pending == [D3]
    # 30 h after midnight: two days are over but not yet due.
    due, pending = days_to_check(at(D3, 1), 30, lookback_days=1)
    assert due == [dt.date(2024, 12, 31)] and pending == [D1, D2]


# --- evaluate_raw_deadlines on DuckDB -----------------------------------------------------------------


def by_key(results):
    return {(r.table, r.symbol, r.day): r for r in results}


def test_evaluate_raw_deadlines_on_a_real_warehouse(loaded):
    now = at(D3 + dt.timedelta(days=1), 5, 59)  # D2 is due (since D3 06:00), D3 is not yet (D4 06:00)
    results = evaluate_raw_deadlines(loaded, ["spot_trades"], SYMBOLS, now, 6, start_date=D1)
    got = by_key(results)
    assert {r.table for r in results} == {"spot_trades"}
    assert sorted({r.day for r in results}) == [D1, D2, D3]

    on_time = got[("spot_trades", "BTCUSDT", D1)]
    assert on_time.status is DeadlineStatus.ON_TIME and on_time.due and not on_time.is_late
    assert on_time.loaded_at == at(D2, 3) and on_time.rows == sample("spot_trades").num_rows
    assert got[("spot_trades", "BTCUSDT", D2)].status is DeadlineStatus.LOADED_LATE
    assert got[("spot_trades", "ETHUSDT", D1)].status is DeadlineStatus.ON_TIME

    missing = got[("spot_trades", "ETHUSDT", D2)]
    assert missing.status is DeadlineStatus.MISSING and missing.is_late
    assert missing.partition_key == "2025-01-02|ETHUSDT"
    assert missing.overdue_seconds == (now - at(D3, 6)).total_seconds()

    # D3's deadline (D4 06:00) has not passed: loaded early is on time, not loaded is only pending.
    early = got[("spot_trades", "BTCUSDT", D3)]
    assert early.status is DeadlineStatus.ON_TIME and not early.due
    pending = got[("spot_trades", "ETHUSDT", D3)]
    assert pending.status is DeadlineStatus.PENDING and not pending.is_late
    assert [r.partition_key for r in results if r.is_late] == ["2025-01-02|ETHUSDT"]


def test_a_missing_day_becomes_late_exactly_at_its_deadline(loaded):
    def status(now):
        return by_key(evaluate_raw_deadlines(loaded, ["spot_trades"], ["ETHUSDT"], now, 6))[
            ("spot_trades", "ETHUSDT", D3)
        ].status

    assert status(at(D3 + dt.timedelta(days=1), 5, 59)) is DeadlineStatus.PENDING
    assert status(at(D3 + dt.timedelta(days=1), 6)) is DeadlineStatus.MISSING


def test_evaluate_raw_deadlines_with_nothing_to_judge(wh):
    assert evaluate_raw_deadlines(wh, [], SYMBOLS, at(D3, 12), 6) == []
    assert evaluate_raw_deadlines(wh, ["spot_trades"], SYMBOLS, at(D1, 12), 6, start_date=D1) == []


# --- the Dagster check ----------------------------------------------------------------------------------


def check_defs(wh: DuckDBWarehouse, checks: dg.AssetChecksDefinition) -> dg.Definitions:
    partitions = daily_partitions(Settings(symbols=SYMBOLS, start_date=D1))
    return dg.Definitions(
        assets=[dg.AssetSpec(key, partitions_def=partitions, group_name="raw") for key in RAW_KEYS],
        asset_checks=[checks],
        jobs=[dg.define_asset_job(CHECK_JOB, selection=dg.AssetSelection.checks(checks))],
        resources={"warehouse": WarehouseResource(kind="duckdb", duckdb_path=str(wh.path))},
    )


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.event_specific_data.asset_key.path[-1]: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_day_file_on_time_check_runs_in_dagster(loaded, monkeypatch):
    now = at(D3 + dt.timedelta(days=1), 6, 30)  # D1..D3 are due
    monkeypatch.setattr(deadlines, "utc_now", lambda: now)
    checks = build_raw_deadline_checks(RAW_KEYS, SYMBOLS, 6, start_date=D1)
    assert {k.name for k in checks.check_keys} == {DEADLINE_CHECK_NAME}
    job = check_defs(loaded, checks).resolve_job_def(CHECK_JOB)
    assert job.partitions_def is None
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance)
    assert result.success
    got = evaluations(result)
    assert set(got) == set(RAW_TABLES)

    trades = got["spot_trades"]
    assert not trades.passed and trades.severity is dg.AssetCheckSeverity.ERROR
    assert trades.metadata["missing_partitions"].value == ["2025-01-02|ETHUSDT", "2025-01-03|ETHUSDT"]
    assert trades.metadata["missing_count"].value == 2
    assert trades.metadata["loaded_late_partitions"].value == ["2025-01-02|BTCUSDT"]
    assert trades.metadata["latest_due_day"].value == "2025-01-03"
    assert trades.metadata["overdue_seconds"].value == (now - at(D3, 6)).total_seconds()
    assert "2025-01-02|ETHUSDT, 2025-01-03|ETHUSDT" in trades.description

    klines = got["spot_klines_1m"]
    assert klines.passed and klines.metadata["missing_partitions"].value == []
    assert klines.metadata["checked_days"].value == ["2025-01-01", "2025-01-02", "2025-01-03"]

    agg = got["spot_agg_trades"]
    assert not agg.passed and agg.metadata["missing_count"].value == 6


def test_day_file_on_time_result_before_the_deadline(loaded):
    # At D2 05:00 nothing is due yet (D1 is due at D2 06:00): even the empty table passes.
    now = at(D2, 5)
    results = evaluate_raw_deadlines(loaded, ["spot_agg_trades"], SYMBOLS, now, 6, start_date=D1)
    result = deadline_check_result(raw_asset_key("spot_agg_trades"), results, now=now, due_hours=6)
    assert result.passed and result.check_name == DEADLINE_CHECK_NAME
    assert result.metadata["missing_partitions"].value == []
    assert result.metadata["pending_partitions"].value == ["2025-01-01|BTCUSDT", "2025-01-01|ETHUSDT"]
    assert result.metadata["next_deadline"].value == at(D2, 6).timestamp()
    assert result.description == "No partition of raw/spot_agg_trades is due yet."


# --- the sensor that runs it ----------------------------------------------------------------------------


def test_raw_deadline_sensor_requests_the_checks_once_per_deadline(loaded, monkeypatch):
    clock = {"now": at(D3, 6, 5)}
    monkeypatch.setattr(deadlines, "utc_now", lambda: clock["now"])
    checks = build_raw_deadline_checks(RAW_KEYS, SYMBOLS, 6, start_date=D1)
    sensor = build_raw_deadline_sensor(checks, 6)
    assert sensor.name == "raw_deadline_sensor" and sensor.minimum_interval_seconds == 300
    job = check_defs(loaded, checks).resolve_job_def(CHECK_JOB)
    with dg.instance_for_test() as instance:

        def tick():
            return sensor(dg.build_sensor_context(instance=instance))

        first = tick()
        assert isinstance(first, dg.RunRequest)
        assert set(first.asset_check_keys) == set(checks.check_keys)
        assert at(D3, 6).isoformat() in first.run_key

        job.execute_in_process(instance=instance)  # the run the sensor asked for (ETHUSDT D2 is missing)
        clock["now"] = at(D3, 6, 30)
        assert isinstance(tick(), dg.SkipReason)  # evaluated since the deadline, failed < 1 h ago

        clock["now"] = at(D3, 8)  # still failing an hour later: check again, with a new run key
        recheck = tick()
        assert isinstance(recheck, dg.RunRequest) and recheck.run_key != first.run_key

        clock["now"] = at(D3 + dt.timedelta(days=1), 6, 1)  # a new deadline passed
        assert isinstance(tick(), dg.RunRequest)


# --- freshness policies -------------------------------------------------------------------------------


def test_freshness_policies_by_group():
    policies = freshness_policies()
    assert set(policies) == {"marts", "features", "predictions"}
    hours = {g: (p.fail_window.to_timedelta(), p.warn_window.to_timedelta()) for g, p in policies.items()}
    assert hours["marts"] == hours["features"] == (dt.timedelta(hours=26), dt.timedelta(hours=24))
    assert hours["predictions"] == (dt.timedelta(hours=27), dt.timedelta(hours=25))
    assert all(isinstance(p, dg.FreshnessPolicy) for p in policies.values())


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["marts", "fct_bars_1m"], group_name="marts"),
        dg.AssetSpec(["marts", "daily_stats"], group_name="marts"),
        dg.AssetSpec(["staging", "stg_trades"], group_name="staging"),
    ]
)
def dbt_like(): ...


@dg.asset(group_name="features")
def minute_features() -> None: ...


@dg.asset(group_name="predictions")
def predictions() -> None: ...


def policy_of(assets, key) -> dg.FreshnessPolicy | None:
    return next(spec.freshness_policy for a in assets for spec in a.specs if spec.key == dg.AssetKey(key))


def test_apply_freshness_policies_spec_by_spec():
    own = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=2))
    feats = minute_features.map_asset_specs(lambda s: dg.apply_freshness_policy(s, own))
    mapped = apply_freshness_policies([dbt_like, feats, predictions])
    policies = freshness_policies()
    assert policy_of(mapped, ["marts", "fct_bars_1m"]) == policies["marts"]
    assert policy_of(mapped, ["marts", "daily_stats"]) == policies["marts"]
    assert policy_of(mapped, ["staging", "stg_trades"]) is None
    assert policy_of(mapped, ["predictions"]) == policies["predictions"]
    assert policy_of(mapped, ["minute_features"]) == own  # kept unless overwrite
    overwritten = apply_freshness_policies([feats], overwrite=True)
    assert policy_of(overwritten, ["minute_features"]) == policies["features"]

    defs = apply_freshness_policies_to_defs(dg.Definitions(assets=[dbt_like, minute_features, predictions]))
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey(["marts", "daily_stats"])).freshness_policy == policies["marts"]
    assert graph.get(dg.AssetKey(["minute_features"])).freshness_policy == policies["features"]
    assert graph.get(dg.AssetKey(["staging", "stg_trades"])).freshness_policy is None


def test_history_loaded_today_is_on_time_on_postgres(postgres_url):
    """The arrivals query (`publication.ARRIVALS_SQL`) on PostgreSQL: 2025 days loaded now are history (their
    deadlines passed before the table and symbol were first loaded), on time, with their row counts."""
    from binance_assets.warehouse.postgres_warehouse import PostgresWarehouse

    wh = PostgresWarehouse(postgres_url)
    for day in (D1, D2, D3):
        wh.replace_partition("spot_trades", "BTCUSDT", day, sample("spot_trades", day=day), load())
    results = evaluate_raw_deadlines(wh, ["spot_trades"], ["BTCUSDT"], at(D3 + dt.timedelta(days=5), 0), 6,
                                     lookback_days=7, start_date=D1)
    assert [(r.day, r.status, r.rows) for r in results if r.day <= D3] == [
        (day, DeadlineStatus.ON_TIME, sample("spot_trades").num_rows) for day in (D1, D2, D3)]
