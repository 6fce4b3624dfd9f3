"""When dbt fails part-way, the Dagster instance still records what dbt did: the models it committed are
materialized (with their window's row count), every test is a check evaluation (failed ones with their
failing-row count), and the step fails afterwards. Driven through a real Dagster run on DuckDB.

The two runs build two different days: the second one's dbt starts from the partial parse the first one
left for this warehouse and does not parse the project again, although its window is another one."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest
from support.ingestion import make_settings

from binance_assets.automation.local_daemon import LocalDaemon
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.definitions import build_defs
from binance_assets.ops.history import load_raw_days
from binance_assets.settings import DBT_PROJECT_DIR

pytestmark = [pytest.mark.xdist_group("dbt-records"), pytest.mark.e2e]

DAY = dt.date(2025, 1, 1)
NEXT_DAY = DAY + dt.timedelta(days=1)  # the failing run's partition
SYMBOL = "BTCUSDT"
RECONCILIATION = "assert_bars_match_archive_klines"
DROPPED_KLINES = 7


def _dbt_keys(defs: dg.Definitions) -> list[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    # The market's dbt models (the merchant's are partitioned by day alone: their own step).
    return [
        k for k in graph.get_all_asset_keys()
        if k.path[0] in ("staging", "intermediate", "marts") and "merchant" not in graph.get(k).tags
    ]


def _recorded(instance: dg.DagsterInstance, run_id: str):
    materialized, checks = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialized[event.asset_key.path[-1]] = event.event_specific_data.materialization
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            checks[(data.asset_key.path[-1], data.check_name)] = data
    return materialized, checks


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("dbt-step")
    mirror = root / "mirror"
    simulate_mirror(mirror, [SYMBOL], DAY, 2, seed=3, trades_per_day=300)
    settings = make_settings(root, mirror).model_copy(update={"symbols": [SYMBOL]})
    load_raw_days(settings, [DAY, NEXT_DAY], [SYMBOL])
    with dg.instance_for_test() as instance:
        daemon = LocalDaemon(build_defs(settings), instance)
        keys = _dbt_keys(daemon.defs)
        good = daemon.execute(keys, DAY.isoformat())
        # Break one test and one model: klines of a few minutes disappear (the reconciliation must fail on
        # exactly those minutes), and fct_data_gaps gains a column (its incremental run refuses the change).
        with duckdb.connect(str(settings.duckdb_path)) as con:
            con.execute(
                "delete from raw.spot_klines_1m where open_time in (select open_time from raw.spot_klines_1m "
                "where trade_date = ? order by open_time limit ?)", [NEXT_DAY, DROPPED_KLINES]
            )
            con.execute("alter table marts.fct_data_gaps add column surprise integer")
        bad = daemon.execute(keys, NEXT_DAY.isoformat())
        yield instance, good, bad


def test_a_clean_build_records_every_model_and_check(runs):
    instance, good, _ = runs
    assert good.success
    materialized, checks = _recorded(instance, good.run_id)
    assert {"fct_bars_1m", "fct_symbol_daily", "fct_data_gaps", "stg_binance__spot_trades"} <= set(materialized)
    assert materialized["fct_bars_1m"].metadata["dagster/row_count"].value == 1440
    assert checks[("fct_bars_1m", RECONCILIATION)].passed
    assert all(c.passed for c in checks.values())


def test_a_failing_test_and_model_keep_the_record_of_what_dbt_did(runs):
    instance, _, bad = runs
    assert not bad.success
    materialized, checks = _recorded(instance, bad.run_id)
    # The models dbt committed are recorded, with the rows of the window.
    assert {"stg_binance__spot_trades", "stg_binance__spot_klines_1m", "int_trades__minutely",
            "fct_bars_1m"} <= set(materialized)
    assert materialized["fct_bars_1m"].metadata["dagster/row_count"].value == 1440
    # The failed model is not, nor the model dbt skipped behind the failed blocking test.
    assert "fct_data_gaps" not in materialized
    assert "fct_symbol_daily" not in materialized
    # The failed test is a failed check evaluation with its failing-row count; the others passed.
    reconciliation = checks[("fct_bars_1m", RECONCILIATION)]
    assert not reconciliation.passed
    assert reconciliation.metadata["dagster_dbt/failed_row_count"].value == DROPPED_KLINES
    others = {key: c.passed for key, c in checks.items() if key != ("fct_bars_1m", RECONCILIATION)}
    assert others and all(others.values()), others
    # ...and the step failed after recording all of it, naming what failed.
    failure = next(e for e in bad.all_events if e.event_type_value == "STEP_FAILURE")
    assert RECONCILIATION in failure.event_specific_data.error.message
    assert "fct_data_gaps" in str(failure.event_specific_data.user_failure_data.metadata["dbt_errors"].value)


def _dbt_invocation(run_id: str):
    """The target folder of the run's one dbt invocation (binance_assets.transform.assets names it)."""
    [folder] = (DBT_PROJECT_DIR / "target").glob(f"{run_id[:8]}-*")
    return folder


def _dbt_events(run_id: str) -> set[str]:
    log = _dbt_invocation(run_id) / "dbt.log"
    return {json.loads(line)["info"]["name"] for line in log.read_text().splitlines() if line.strip()}


def test_the_next_window_reuses_the_partial_parse(runs):
    _, good, bad = runs
    assert "PartialParsingSkipParsing" not in _dbt_events(good.run_id)  # a new warehouse: parsed once...
    events = _dbt_events(bad.run_id)
    assert "PartialParsingSkipParsing" in events, sorted(events)  # ...and not again for another window
    assert "UnableToPartialParse" not in events
    # The window reached dbt's SQL all the same (by environment, not --vars).
    [bars_sql] = (_dbt_invocation(bad.run_id) / "run").rglob("fct_bars_1m.sql")
    assert f"trade_date >= cast('{NEXT_DAY}' as date)" in bars_sql.read_text()
