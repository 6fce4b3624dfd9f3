"""The dashboard's rules without a browser: cell statuses, Dagster's serialized events, redirects, deadlines."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from binance_api.dashboard.dagster_storage import CheckOutcome, CheckStore, metadata_dict, parse_evaluation
from binance_api.dashboard.health import cell_status, dagster_asset_url, deadline_for
from binance_api.dashboard.session import safe_next

pytestmark = pytest.mark.xdist_group("dashboard")


def _check(passed: bool, severity: str = "ERROR") -> CheckOutcome:
    return CheckOutcome("raw/spot_trades", "unique_ids", "2025-01-01|BTCUSDT", passed, severity, None)


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
    ],
)
def test_a_cell_shows_its_worst_status_and_lists_all(kwargs, worst, flags):
    assert cell_status(**kwargs) == (worst, flags)


def test_deadline_is_the_pipelines_rule():
    from binance_assets.automation.freshness import deadline_for as pipeline_deadline

    for day in (dt.date(2025, 1, 1), dt.date(2024, 2, 29)):
        for hours in (0.0, 6.0, 30.5):
            assert deadline_for(day, hours) == pipeline_deadline(day, hours)


def test_serialized_check_evaluations_and_materializations_are_read():
    evaluation = {"dagster_event": {"event_specific_data": {
        "success": False, "severity": {"__enum__": "AssetCheckSeverity.WARN"},
        "metadata": {"gaps": {"__class__": "IntMetadataEntryData", "value": 2},
                     "per_feature": {"__class__": "JsonMetadataEntryData", "data": {"x": {"psi": 0.3}}}},
    }}}
    assert parse_evaluation(json.dumps(evaluation)) == (False, "WARN", {"gaps": 2, "per_feature": {"x": {"psi": 0.3}}})
    assert parse_evaluation("not json") == (None, "ERROR", {})
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
