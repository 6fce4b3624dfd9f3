"""The exporter against a real Dagster instance with runs, scraped over HTTP like Prometheus does."""

from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.xdist_group("monitoring")


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    body = requests.get(url, timeout=10)
    body.raise_for_status()
    samples = {}
    for family in text_string_to_metric_families(body.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.fixture(scope="module")
def exporter(dagster_instance, model_settings):
    from support.monitoring_defs import defs

    from binance_assets.monitoring.exporter import build_collector, serve
    from binance_assets.monitoring.policies import windows_from_asset_graph

    # The code location's policies in-process (the CLI loads the workspace file's locations, the same graph).
    windows = windows_from_asset_graph(defs.resolve_asset_graph())
    collector = build_collector(dagster_instance, read_windows=lambda: windows, settings=model_settings,
                                cache_seconds=30)
    server = serve(collector, 0, "127.0.0.1")
    yield server
    server.close()


def test_metrics_of_a_real_instance(exporter, dagster_instance):
    samples = scrape(f"http://127.0.0.1:{exporter.port}/metrics")

    assert value(samples, "dagster_exporter_up") == 1.0
    # Runs by job and status, and the failure ratio's inputs (terminal statuses only).
    assert value(samples, "dagster_runs", dagster_job="tiny_ok_job", status="SUCCESS") == 1
    assert value(samples, "dagster_runs", dagster_job="tiny_boom_job", status="FAILURE") == 1
    assert ("dagster_runs", (("dagster_job", "tiny_boom_job"), ("status", "SUCCESS"))) not in samples
    assert value(samples, "dagster_runs_finished_total", dagster_job="tiny_boom_job", status="FAILURE") == 1
    assert value(samples, "dagster_runs_finished_total", dagster_job="tiny_ok_job", status="SUCCESS") == 1
    # Last successful materialization: both assets of the good run, never the failed asset.
    for key in ("tiny/ok", "tiny/predictions"):
        age = value(samples, "dagster_asset_last_materialization_age_seconds", asset_key=key)
        assert 0 <= age < 120
        assert value(samples, "dagster_asset_last_materialization_timestamp_seconds", asset_key=key) > 1.7e9
    assert not any(k[0].startswith("dagster_asset_last") and ("asset_key", "tiny/boom") in k[1] for k in samples)
    # Freshness policies of the code location: 2h/1h and 26h; none on the failed asset.
    assert value(samples, "dagster_asset_freshness_fail_window_seconds", asset_key="tiny/ok") == 7200
    assert value(samples, "dagster_asset_freshness_warn_window_seconds", asset_key="tiny/ok") == 3600
    assert value(samples, "dagster_asset_freshness_fail_window_seconds", asset_key="tiny/predictions") == 26 * 3600
    assert ("dagster_asset_freshness_fail_window_seconds", (("asset_key", "tiny/boom"),)) not in samples
    # The freshness daemon's state: tiny/ok in WARN, tiny/predictions never evaluated.
    assert value(samples, "dagster_asset_freshness_state", asset_key="tiny/ok", state="WARN") == 1
    assert value(samples, "dagster_asset_freshness_state", asset_key="tiny/ok", state="PASS") == 0
    # The latest evaluation of each check: failed ERROR, failed WARN drift, one passing.
    assert value(samples, "dagster_asset_check_failed", asset_key="tiny/ok", check="rows_positive",
                 severity="ERROR") == 1
    assert value(samples, "dagster_asset_check_failed", asset_key="tiny/predictions", check="feature_drift",
                 severity="WARN") == 1
    assert value(samples, "dagster_asset_check_failed", asset_key="tiny/predictions", check="rows_present",
                 severity="ERROR") == 0
    assert value(samples, "binance_model_feature_drift_psi_max", asset_key="tiny/predictions") == pytest.approx(0.31)
    # Daemon heartbeat written 42 s before the scrape.
    assert 40 <= value(samples, "dagster_daemon_heartbeat_age_seconds", daemon_type="SENSOR") < 120
    # Models: champion baseline from the registry, live accuracy by the one realised rule (6 of the 8 realised
    # out-of-sample minutes right; the 2 wrong in-sample minutes per symbol are counted beside, not in it).
    model = "price_direction_classifier"
    assert value(samples, "binance_model_baseline_accuracy", model=model, version="v0001") == pytest.approx(0.52)
    assert value(samples, "binance_model_offline_metric", model=model, version="v0001",
                 metric="accuracy") == pytest.approx(0.81)
    assert value(samples, "binance_model_live_accuracy", model=model, version="v0001") == pytest.approx(0.75)
    assert value(samples, "binance_model_live_realised_predictions", model=model, version="v0001") == 16
    assert value(samples, "binance_model_live_in_sample_predictions", model=model, version="v0001") == 4


def test_the_live_baseline_is_judged_on_the_same_outcomes(exporter, model_settings):
    """The accuracy-under-baseline alert's other side: the naive baseline (always the majority class of the
    champion's training labels) scored on exactly the out-of-sample outcomes the live accuracy counts, not the
    card's cross-validation figure. Expected from the raw rows of the fixture's warehouse."""
    import datetime as dt

    import duckdb

    model, training_day = "price_direction_classifier", dt.date(2025, 1, 1)  # tests/monitoring/conftest.py
    con = duckdb.connect(str(model_settings.resolved_duckdb_path), read_only=True)
    labels = [r[0] for r in con.execute("SELECT label_forward_return FROM features.minute_features WHERE "
                                        "trade_date = ? AND symbol = 'BTCUSDT'", [training_day]).fetchall()]
    outcomes = [r[0] for r in con.execute(
        "SELECT f.label_forward_return FROM ml.predictions p JOIN features.minute_features f USING (symbol, minute) "
        "WHERE NOT p.in_sample AND f.label_forward_return IS NOT NULL").fetchall()]
    con.close()
    calls_up = sum(x > 0 for x in labels) * 2 > len(labels)
    expected = sum((x > 0) == calls_up for x in outcomes) / len(outcomes)

    samples = scrape(f"http://127.0.0.1:{exporter.port}/metrics")
    got = value(samples, "binance_model_live_baseline_accuracy", model=model, version="v0001")
    assert got == pytest.approx(expected)
    # The card's offline baseline is another figure on other rows: the alert must not compare with it.
    assert got != pytest.approx(value(samples, "binance_model_baseline_accuracy", model=model, version="v0001"))


def test_scrapes_within_the_cache_read_the_instance_once(exporter, dagster_instance):
    from support.monitoring_defs import defs

    url = f"http://127.0.0.1:{exporter.port}/metrics"
    scrape(url)
    reads = exporter.collector.reads
    defs.resolve_job_def("tiny_boom_job").execute_in_process(instance=dagster_instance, raise_on_error=False)
    again = scrape(url)
    assert exporter.collector.reads == reads  # served from the cache
    assert value(again, "dagster_runs", dagster_job="tiny_boom_job", status="FAILURE") == 1
    exporter.collector._read_at = float("-inf")  # the cache expires
    fresh = scrape(url)
    assert exporter.collector.reads == reads + 1
    assert value(fresh, "dagster_runs", dagster_job="tiny_boom_job", status="FAILURE") == 2


def test_an_unreadable_instance_or_warehouse_is_reported_not_raised():
    from binance_assets.monitoring.collector import DagsterCollector
    from binance_assets.monitoring.exporter import serve

    def broken():
        raise OSError("storage is down")

    server = serve(DagsterCollector(broken, read_models=broken, cache_seconds=0), 0, "127.0.0.1")
    try:
        samples = scrape(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        server.close()
    assert value(samples, "dagster_exporter_up") == 0
    assert value(samples, "dagster_exporter_read_errors_total", source="instance") == 1
    assert value(samples, "dagster_exporter_read_errors_total", source="models") == 1


def test_the_cli_command_starts_the_exporter_with_its_options(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from binance_assets import cli
    from binance_assets.monitoring import exporter

    calls = []
    monkeypatch.setattr(exporter, "run", lambda *args: calls.append(args))
    workspace = tmp_path / "workspace.yaml"
    result = CliRunner().invoke(cli.app, ["exporter", "--port", "9108", "--workspace", str(workspace),
                                          "--cache-seconds", "5", "--no-models"])
    assert result.exit_code == 0, result.output
    assert calls == [(9108, "0.0.0.0", workspace, 5.0, False, 7.0)]
