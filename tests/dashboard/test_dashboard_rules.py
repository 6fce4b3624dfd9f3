"""The dashboard's rules without a browser: cell statuses, Dagster's serialized events, redirects, deadlines,
and which raw partitions arrived late (the same answer as the `day_file_on_time` check's)."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
from warehouse.helpers import load, sample

from binance_api.dashboard.dagster_storage import CheckOutcome, CheckStore, metadata_dict, parse_evaluation
from binance_api.dashboard.health import cell_status, dagster_asset_url, failing_checks, partition_detail
from binance_api.dashboard.health_grid import build_grid, masks, page_tables
from binance_api.dashboard.session import safe_next
from binance_api.services.universe import fallback_listing
from binance_assets.automation.deadlines import DeadlineStatus, evaluate_raw_deadlines
from binance_assets.warehouse import DuckDBWarehouse

pytestmark = pytest.mark.xdist_group("dashboard")


def _check(passed: bool, severity: str = "ERROR", blocking: bool | None = None, check: str = "unique_ids",
           partition: str = "2025-01-01|BTCUSDT") -> CheckOutcome:
    return CheckOutcome("raw/spot_trades", check, partition, passed, severity, None, {}, blocking)


@pytest.mark.parametrize(
    ("kwargs", "worst", "flags"),
    [
        ({"present": True, "checks": []}, "loaded", ["loaded"]),
        ({"present": False, "checks": []}, "missing", ["missing"]),
        ({"present": True, "checks": [], "late": True}, "late", ["late"]),
        ({"present": True, "checks": [], "archive_versions": 2, "late": True}, "replaced", ["replaced", "late"]),
        ({"present": True, "checks": [_check(False, "WARN")]}, "warning", ["warning"]),
        ({"present": True, "checks": [_check(True), _check(False)], "late": True}, "failed", ["failed", "late"]),
        ({"present": False, "checks": [_check(False)]}, "failed", ["failed", "missing"]),
        # A day the symbol was not listed on (the universe's first and last day): nothing was expected.
        ({"present": False, "checks": [], "listed": False}, "unlisted", ["unlisted"]),
        ({"present": True, "checks": [], "listed": False}, "loaded", ["loaded"]),
        ({"present": False, "checks": [_check(False, "WARN")], "listed": False}, "warning", ["warning"]),
        # What Dagster records: a blocking check failed; a non-blocking one (feature_drift) failed with either
        # severity: a warning, not a failed check.
        ({"present": True, "checks": [_check(False, "ERROR", True)]}, "failed", ["failed"]),
        ({"present": True, "checks": [_check(False, "ERROR", False)]}, "warning", ["warning"]),
        ({"present": True, "checks": [_check(False, "WARN", False), _check(True, "ERROR", True)]}, "warning",
         ["warning"]),
    ],
)
def test_a_cell_shows_its_worst_status_and_lists_all(kwargs, worst, flags):
    assert cell_status(**kwargs) == (worst, flags)


def test_serialized_check_evaluations_and_materializations_are_read():
    evaluation = {"dagster_event": {"event_specific_data": {
        "success": False, "severity": {"__enum__": "AssetCheckSeverity.WARN"},
        "metadata": {"gaps": {"__class__": "IntMetadataEntryData", "value": 2},
                     "per_feature": {"__class__": "JsonMetadataEntryData", "data": {"x": {"psi": 0.3}}}},
    }}}
    assert parse_evaluation(json.dumps(evaluation)) == (False, "WARN", None,
                                                        {"gaps": 2, "per_feature": {"x": {"psi": 0.3}}})
    evaluation["dagster_event"]["event_specific_data"] |= {"blocking": False,
                                                           "severity": {"__enum__": "AssetCheckSeverity.ERROR"}}
    assert parse_evaluation(json.dumps(evaluation))[:3] == (False, "ERROR", False)
    assert parse_evaluation("not json") == (None, "ERROR", None, {})
    legacy = {"metadata_entries": [{"label": "sha256", "entry_data": {"__class__": "TextMetadataEntryData",
                                                                      "text": "ab"}}]}
    assert metadata_dict(legacy) == {"sha256": "ab"}


def test_no_dagster_storage_means_no_outcomes_not_an_error(tmp_path):
    assert CheckStore(None).latest() == [] and not CheckStore(None).configured
    assert CheckStore(str(tmp_path / "absent.db")).latest() == []
    assert CheckStore(str(tmp_path / "absent.db")).archive_versions() == {}


def test_sign_in_redirects_only_inside_the_dashboard():
    assert safe_next("/dashboard/health?start=2025-01-01") == "/dashboard/health?start=2025-01-01"
    for bad in (None, "", "https://evil.example/", "//evil.example/dashboard", "/api/v1/bars", "/dashboard\\@evil"):
        assert safe_next(bad) == "/dashboard/market"


def test_dagster_links_quote_the_partition_key():
    url = dagster_asset_url("http://h:3000/", "raw/spot_trades", "2025-01-01|BTCUSDT")
    assert url == "http://h:3000/assets/raw/spot_trades?view=partitions&partition=2025-01-01%7CBTCUSDT"


def test_the_failing_checks_table_agrees_with_the_cells():
    # feature_drift failed on two partitions, once past its error threshold: non-blocking both times.
    drift = [_check(False, "WARN", False, "feature_drift", "2025-01-01|BTCUSDT"),
             _check(False, "ERROR", False, "feature_drift", "2025-01-02|BTCUSDT")]

    class Store:
        def latest(self):
            return [*drift, _check(False, "ERROR", True, "unique_ids")]

        def failure_counts(self):
            return {}

    rows = {r["check"]: r for r in failing_checks(Store())}
    assert (rows["feature_drift"]["finding"], rows["feature_drift"]["severities"]) == ("warning", ["ERROR", "WARN"])
    assert rows["unique_ids"]["finding"] == "failed"
    assert [cell_status(present=True, checks=[c])[0] for c in drift] == ["warning", "warning"]


UTC = dt.UTC
D = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(7)]  # D[0] .. D[6]
DUE_HOURS = 6.0


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class Session:
    def __init__(self, path) -> None:
        self.con = duckdb.connect(str(path), read_only=True)

    def query(self, sql, params=None):
        return self.con.sql(sql, params=list(params) if params else None).to_arrow_table()


@pytest.fixture
def arrivals(tmp_path):
    """spot_trades loads, each stamped with the time it happened. BTCUSDT: the platform starts with a backfill
    of D0..D3 at D4 10:00 (their deadlines, 06:00 the next day, passed before it), then waits: D4 lands at D5
    09:00 (3 h after its deadline: late), D5 at D6 05:00 (on time) and is republished at D6 20:00 (a second
    version: it arrived on time all the same). ETHUSDT is added at D6 12:00 with a backfill of D0..D5: history.
    Returns (warehouse path, the late partitions by hand)."""
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    loads = [("BTCUSDT", day, at(D[4], 10), "ab") for day in D[:4]]
    loads += [("BTCUSDT", D[4], at(D[5], 9), "ab"), ("BTCUSDT", D[5], at(D[6], 5), "ab"),
              ("BTCUSDT", D[5], at(D[6], 20), "cd")]
    loads += [("ETHUSDT", day, at(D[6], 12), "ab") for day in D[:6]]
    for symbol, day, when, sha in loads:
        wh.replace_partition("spot_trades", symbol, day, sample("spot_trades", day=day), load(sha=sha * 32))
        with wh.connect() as con:  # pretend the load happened at `when`
            con.execute("UPDATE raw.load_log SET loaded_at = ? WHERE table_name = 'spot_trades' AND symbol = ? "
                        "AND trade_date = ? AND superseded_at IS NULL", [when.replace(tzinfo=None), symbol, day])
    return wh, {("BTCUSDT", D[4])}


def test_history_loaded_by_a_backfill_is_not_late_and_every_reader_agrees(arrivals):
    wh, late = arrivals
    session = Session(wh.path)
    symbols = ["BTCUSDT", "ETHUSDT"]
    grid = build_grid(session, [fallback_listing(s) for s in symbols], [], D[0], D[5], DUE_HOURS)
    (trades,) = [t for t in page_tables(grid, masks(grid, [], {}), symbols) if t["table"] == "raw.spot_trades"]
    statuses = {(row["symbol"], day): cell for row in trades["rows"]
                for day, cell in zip(grid.days, row["cells"], strict=True)}
    assert statuses == {key: "late" if key in late else "loaded" for key in statuses}
    assert len(statuses) == 12
    detail = partition_detail(session, CheckStore(None), "http://d", "raw.spot_trades", "BTCUSDT", D[4], DUE_HOURS)
    assert (detail["status"], detail["arrived_at"], detail["deadline"]) == (
        "late", at(D[5], 9).isoformat(), at(D[5], 6).isoformat())
    session.con.close()
    # The day_file_on_time check judges the same partitions the same way.
    results = evaluate_raw_deadlines(wh, ["spot_trades"], ["BTCUSDT", "ETHUSDT"], at(D[6], 23), DUE_HOURS,
                                     lookback_days=6, start_date=D[0])
    assert {(r.symbol, r.day) for r in results if r.status is DeadlineStatus.LOADED_LATE} == late
    assert {r.status for r in results if (r.symbol, r.day) not in late} == {DeadlineStatus.ON_TIME}
