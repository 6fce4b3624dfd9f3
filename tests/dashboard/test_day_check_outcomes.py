"""The heat map's cells are (day, symbol); the market assets' checks are evaluated per day with the symbols in
their metadata (binance_assets.ingestion.day_results, ml.checks). A day's evaluation becomes one finding per
symbol it names, and none for the symbols it does not."""

from binance_api.dashboard.dagster_storage import CheckOutcome, per_symbol


def outcome(passed: bool, metadata: dict, *, blocking=True, severity="ERROR", partition="2025-01-02"):
    return CheckOutcome("raw/spot_trades", "unique_ids", partition, passed, severity, None, metadata, blocking)


def test_failed_and_refused_symbols_become_findings_of_their_cells():
    failed = per_symbol(outcome(False, {"failed_symbols": {"ETHUSDT": "2 duplicated ids"}, "symbols_checked": 1}))
    assert [(o.partition, o.finding) for o in failed] == [("2025-01-02|ETHUSDT", "failed")]
    # The day passed for what was published; the file it refused is a failed cell of that symbol.
    refused = per_symbol(outcome(True, {"refused_symbols_not_published": {"BNBUSDT": "..."}, "symbols_checked": 5}))
    assert [(o.partition, o.finding) for o in refused] == [("2025-01-02|BNBUSDT", "failed")]
    warn = per_symbol(outcome(False, {"failed_symbols": {"SOLUSDT": "hole"}}, blocking=False, severity="WARN"))
    assert [(o.partition, o.finding) for o in warn] == [("2025-01-02|SOLUSDT", "warning")]


def test_drift_names_its_symbols_by_severity_and_a_clean_day_names_none():
    drift = CheckOutcome("ml/predictions", "feature_drift", "2025-01-02", False, "WARN", None,
                         {"symbols_by_severity": {"warn": ["BTCUSDT"], "error": ["ETHUSDT"]}}, False)
    assert {(o.partition, o.severity) for o in per_symbol(drift)} == {
        ("2025-01-02|BTCUSDT", "WARN"), ("2025-01-02|ETHUSDT", "ERROR")}
    assert per_symbol(outcome(True, {"symbols_checked": 200})) == []
    assert per_symbol(outcome(False, {"failed_symbols": {"X": ""}}, partition="2025-01-02|BTCUSDT")) == []
