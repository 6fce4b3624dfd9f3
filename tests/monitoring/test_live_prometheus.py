"""Debian's Prometheus on loopback scraping a live API server and the exporter (over the real Dagster
instance of conftest.py), with the committed alert rules loaded: every Grafana panel's query evaluates."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import requests
import yaml
from support.prometheus import DASHBOARDS_DIR, PROMETHEUS_DIR, PrometheusServer

pytestmark = pytest.mark.xdist_group("monitoring")

# Grafana's variables in the panels' queries, with the values a user would pick here.
RATE_INTERVAL = "10s"  # $__rate_interval: at least 4 scrapes of 1 s
ALL = ".*"  # the "All" option of the multi-value variables (allValue)
# Panels whose metrics this run does not produce (nothing to show is their correct answer here).
EMPTY_HERE = {
    ("api", "Response cache lookups by result"): "without a warehouse klines never reach the cache",
    ("data-freshness", "Assets over their freshness policy (alert)"): "the assets were materialized seconds ago",
    ("models", "Live MAE (regressors)"): "the registry holds a classifier only",
}


def variable_queries():
    """Grafana's `label_values(selector, label)` of each query variable, as the selector to evaluate."""
    for path in sorted(DASHBOARDS_DIR.glob("*.json")):
        board = json.loads(path.read_text())
        job = next(v for v in board["templating"]["list"] if v["name"] == "job")["current"]["value"]
        for var in board["templating"]["list"]:
            match = re.fullmatch(r"label_values\((.+), (\w+)\)", var["query"]["query"])
            assert match, var
            yield path.stem, var["name"], match.group(1).replace("$job", job), match.group(2)


def panel_queries():
    for path in sorted(DASHBOARDS_DIR.glob("*.json")):
        board = json.loads(path.read_text())
        job = next(v for v in board["templating"]["list"] if v["name"] == "job")["current"]["value"]
        for panel in board["panels"]:
            for target in panel["targets"]:
                expr = target["expr"].replace("$__rate_interval", RATE_INTERVAL).replace("$job", job)
                expr = re.sub(r"\$(route|asset|model)\b", ALL, expr)
                assert "$" not in expr, expr
                yield path.stem, panel["title"], expr


@pytest.fixture(scope="module")
def api_url(tmp_path_factory):
    from support.live_server import LiveServer

    from binance_api.main import create_app
    from binance_api.settings import ApiConfig, ApiSettings
    from binance_assets.settings import Environment, Settings

    data = tmp_path_factory.mktemp("api_data")
    # No Redis (limits in memory, 20 weight a minute: the test's burst gets 429s) and no warehouse yet
    # (readiness and klines answer 503): 200s, a 404, 503s and 429s are what the dashboards need here.
    core = Settings(env=Environment.LOCAL, data_dir=data, duckdb_path=data / "warehouse.duckdb")
    api = ApiSettings(redis_url=None, weight_limit_1m=20, jwt_secret="test-secret-" + "x" * 32)
    config = ApiConfig(api=api, core=core)
    with LiveServer(create_app(config)) as server:
        yield server.url


@pytest.fixture(scope="module")
def exporter_port(dagster_instance, model_settings):
    from support.monitoring_defs import defs

    from binance_assets.monitoring.exporter import build_collector, serve
    from binance_assets.monitoring.policies import windows_from_asset_graph

    windows = windows_from_asset_graph(defs.resolve_asset_graph())
    server = serve(build_collector(dagster_instance, read_windows=lambda: windows, settings=model_settings,
                                   cache_seconds=1), 0, "127.0.0.1")
    yield server.port
    server.close()


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory, api_url, exporter_port):
    from support.network import free_port

    work = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(PROMETHEUS_DIR / "rules" / "*.yml")],
        "scrape_configs": [
            {"job_name": "api", "static_configs": [{"targets": [api_url.removeprefix("http://")]}]},
            {"job_name": "dagster", "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}]},
        ],
    }
    server = PrometheusServer(yaml.safe_dump(config), work, free_port())
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def both_targets_up(prometheus) -> bool:
    active = prometheus.get("/api/v1/targets")["activeTargets"]
    return {t["labels"]["job"] for t in active if t["health"] == "up"} == {"api", "dagster"}


def test_every_dashboard_query_evaluates_on_live_targets(prometheus, api_url):
    for path in ("/api/v3/ping", "/api/v3/time", "/health/live", "/health/ready", "/no-such-route",
                 "/api/v3/klines?symbol=BTCUSDT&interval=1m"):
        requests.get(api_url + path, timeout=10)
    statuses = {requests.get(api_url + "/api/v3/ping", timeout=10).status_code for _ in range(25)}
    assert 429 in statuses

    prometheus.wait(lambda: both_targets_up(prometheus), "both targets up")
    # Two scrapes after the requests: rates over the window have their two samples.
    prometheus.wait(lambda: int(prometheus.get("/api/v1/query", query="count_over_time(up[10s])")["result"][0]
                                ["value"][1]) >= 3, "three scrapes")

    queries = list(panel_queries())
    assert len(queries) >= 30
    empty = []
    for board, title, expr in queries:
        data = prometheus.get("/api/v1/query", query=expr)  # asserts status success
        if not data["result"]:
            empty.append((board, title))
    assert set(empty) <= set(EMPTY_HERE), f"panels without data: {set(empty) - set(EMPTY_HERE)}"

    for board, name, selector, label in variable_queries():
        result = prometheus.get("/api/v1/query", query=selector)["result"]
        assert result and all(label in r["metric"] for r in result), (board, name, selector)

    api_routes = {r["metric"]["route"] for r in prometheus.get(
        "/api/v1/query", query='binance_api_requests_total{job="api"}')["result"]}
    assert {"/api/v3/ping", "/api/v3/time", "/api/v3/klines", "unmatched"} <= api_routes
    statuses = {r["metric"]["status"] for r in prometheus.get(
        "/api/v1/query", query='sum by (status) (binance_api_requests_total{job="api"})')["result"]}
    assert {"200", "404", "503"} <= statuses  # 429s are counted apart (the limiter answers before the route)
    failing = prometheus.get("/api/v1/query", query='dagster_asset_check_failed{job="dagster"} == 1')["result"]
    assert {(r["metric"]["asset_key"], r["metric"]["check"]) for r in failing} == {
        ("tiny/ok", "rows_positive"), ("tiny/predictions", "feature_drift")}


def test_the_alert_rules_load_and_evaluate(prometheus):
    # Rules evaluated before the first scrape see no series: wait for the targets, then for an evaluation
    # that started after them (evaluation_interval is 1 s).
    prometheus.wait(lambda: both_targets_up(prometheus), "both targets up")
    scraped = max(pd.Timestamp(t["lastScrape"]) for t in prometheus.get("/api/v1/targets")["activeTargets"])

    def evaluated():
        groups = prometheus.get("/api/v1/rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        # An unevaluated rule's lastEvaluation is Go's zero time, 0001-01-01.
        return groups if rules and all(r["health"] != "unknown" and r.get("lastEvaluation", "").startswith("2")
                                       and pd.Timestamp(r["lastEvaluation"]) > scraped for r in rules) else None

    groups = prometheus.wait(evaluated, "every rule evaluated after the targets' first scrapes")
    assert {g["name"] for g in groups} == {"api", "pipeline", "models"}
    rules = {r["name"]: r for g in groups for r in g["rules"]}
    expected = sum(len(g["rules"]) for p in (PROMETHEUS_DIR / "rules").glob("*.yml")
                   for g in yaml.safe_load(p.read_text())["groups"])
    assert len(rules) == expected
    assert all(r["health"] == "ok" for r in rules.values()), {n: r.get("lastError") for n, r in rules.items()}
    # The exporter's failing ERROR check is pending (for: 5m) on the live data.
    assert rules["AssetCheckFailing"]["state"] in {"pending", "firing"}
