"""Predictions with realised accuracy, the model registry, quality, health, metrics and request logs."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from support.api_warehouse import TRAINED_UNTIL

pytestmark = pytest.mark.xdist_group("api")


def test_latest_and_history_with_realised_outcomes(client, auth, api_warehouse):
    latest = client.get("/api/v1/predictions/BTCUSDT/latest", headers=auth).json()
    last = api_warehouse.query("SELECT max(minute) AS m FROM ml.predictions WHERE symbol = 'BTCUSDT'")["m"].iloc[0]
    got = [dt.datetime.fromisoformat(p["minute"]).replace(tzinfo=None) for p in latest["items"]]
    assert got == [last.to_pydatetime()]
    assert latest["items"][0]["model_version"] == "v1"
    assert latest["items"][0]["outcome_known"] is False  # the day's last minute has no forward bars yet

    joined = api_warehouse.query(
        "SELECT p.minute, p.prediction, f.label_forward_return AS r FROM ml.predictions p JOIN "
        "features.minute_features f USING (symbol, minute) WHERE p.symbol = 'BTCUSDT' AND "
        "f.label_forward_return IS NOT NULL ORDER BY p.minute LIMIT 300"
    )
    page1 = client.get("/api/v1/predictions/BTCUSDT", params={"limit": 150}, headers=auth).json()
    page2 = client.get("/api/v1/predictions/BTCUSDT", params={"limit": 150, "cursor": page1["next_cursor"]},
                       headers=auth).json()
    items = [i for i in page1["items"] + page2["items"] if i["outcome_known"]]
    by_minute = {dt.datetime.fromisoformat(i["minute"]).replace(tzinfo=None): i for i in items}
    checked = 0
    for row in joined.itertuples():
        item = by_minute.get(row.minute.to_pydatetime())
        if item is None:
            continue
        assert item["realised_return"] == pytest.approx(row.r)
        assert item["correct"] == ((row.prediction == 1.0) == (row.r > 0))
        assert item["in_sample"] == (row.minute.date() <= TRAINED_UNTIL)  # the stand-in scorer's training days
        checked += 1
    assert checked > 100

    # Accuracy: the minutes of the days after the scorer's training days only; the others counted beside.
    acc = client.get("/api/v1/predictions/BTCUSDT/accuracy", headers=auth).json()["items"]
    full = api_warehouse.query(
        "SELECT avg(CASE WHEN (p.prediction = 1.0) = (f.label_forward_return > 0) THEN 1.0 ELSE 0.0 END) AS hit, "
        "count(f.label_forward_return) AS n FROM ml.predictions p JOIN features.minute_features f "
        "USING (symbol, minute) WHERE p.symbol = 'BTCUSDT' AND f.label_forward_return IS NOT NULL "
        "AND p.trade_date > ?", [TRAINED_UNTIL]
    )
    assert acc[0]["realised"] == full["n"].iloc[0] > 100
    assert acc[0]["hit_rate"] == pytest.approx(full["hit"].iloc[0])
    scored_in_sample = api_warehouse.query(
        "SELECT count(*) AS n FROM ml.predictions WHERE symbol = 'BTCUSDT' AND trade_date <= ?", [TRAINED_UNTIL])
    assert acc[0]["in_sample"] == scored_in_sample["n"].iloc[0] > 100


def test_models_read_the_registry(client, token, api_config, tmp_path, monkeypatch):
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from binance_api.services import ml_service
    from binance_assets.model_registry.card import ModelCard
    from binance_assets.model_registry.stores import LocalModelRegistry

    registry = LocalModelRegistry(tmp_path / "models")
    for version_metric in (0.55, 0.6):
        card = ModelCard(name="price_direction_classifier", task="classification", features=["a"],
                         feature_schema_hash="x", metrics={"roc_auc": version_metric},
                         baseline_metrics={"roc_auc": 0.5}, primary_metric="roc_auc")
        model = LogisticRegression().fit(pd.DataFrame({"a": np.arange(4.0)}), [0, 1, 0, 1])
        registry.register("price_direction_classifier", model, card)
    registry.promote("price_direction_classifier", "v0001", "first")
    registry.promote("price_direction_classifier", "v0002", "better")
    monkeypatch.setattr(ml_service, "registry", lambda config: registry)
    no_admin = client.get("/api/v1/models", headers={"Authorization": f"Bearer {token(scopes=['predictions'])}"})
    assert no_admin.status_code == 403
    body = client.get("/api/v1/models", headers={"Authorization": f"Bearer {token(scopes=['admin'])}"}).json()
    model = body["items"][0]
    assert model["champion"] == "v0002"
    assert {v["version"]: v["status"] for v in model["versions"]} == {"v0001": "retired", "v0002": "champion"}
    assert [e["version"] for e in model["promotion_history"]] == ["v0001", "v0002"]


def test_quality_reads_freshness_and_dagster_check_results(client, auth, api_config, api_warehouse, tmp_path):
    import dagster as dg

    @dg.asset(key=["raw", "spot_trades"])
    def spot_trades():
        return 1

    @dg.asset_check(asset=spot_trades)
    def ids_continuous():
        return dg.AssetCheckResult(passed=False, metadata={"gaps": 2})

    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        assert dg.materialize([spot_trades, ids_continuous], instance=instance).success
    storage = home / "history" / "runs" / "index.db"
    assert storage.exists()
    original = api_config.api.dagster_storage
    api_config.api.dagster_storage = str(storage)
    try:
        body = client.get("/api/v1/quality", headers=auth).json()
    finally:
        api_config.api.dagster_storage = original
    assert body["checks"]["status"] == "ok"
    assert [(c["asset"], c["check_name"], c["passed"]) for c in body["checks"]["checks"]] == [
        ("raw/spot_trades", "ids_continuous", False)
    ]
    fresh = {(f["asset"], f["symbol"]): f for f in body["freshness"]}
    assert fresh[("raw.spot_trades", "BTCUSDT")]["latest_partition"] == "2025-01-02"
    assert fresh[("marts.fct_bars_1m", "ETHUSDT")]["partitions"] == 2
    assert ("ml.predictions", "BTCUSDT") in fresh


def test_health_metrics_and_request_log(client, caplog, token):
    assert client.get("/health/live").json() == {"status": "ok"}
    ready = client.get("/health/ready").json()
    assert ready["checks"]["warehouse"]["status"] == "ok"
    assert ready["checks"]["redis"]["status"] == "ok"
    # The simulated data is from 2025: stale against the wall clock, so degraded (still serving).
    assert ready["checks"]["freshness"]["status"] == "stale" and ready["status"] == "degraded"
    caplog.set_level(logging.INFO, logger="binance_api.access")
    logging.getLogger("binance_api.access").propagate = True
    try:
        secret = token(subject="logged-subject")
        r = client.get("/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=3",
                       headers={"X-Request-Id": "req-12345678", "Authorization": f"Bearer {secret}"})
    finally:
        logging.getLogger("binance_api.access").propagate = False
    assert r.headers["x-request-id"] == "req-12345678"
    lines = [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == "binance_api.access"]
    line = next(x for x in lines if x["request_id"] == "req-12345678")
    assert line["path"] == "/api/v3/klines" and line["status"] == 200 and line["duration_ms"] > 0
    assert line["subject"] == "logged-subject"
    assert secret not in caplog.text and secret.split(".")[2] not in caplog.text and "interval" not in caplog.text
    metrics = client.get("/metrics").text
    assert 'binance_api_requests_total{method="GET",route="/api/v3/klines",status="200"}' in metrics
    assert "binance_api_request_duration_seconds_bucket" in metrics
    assert 'binance_api_cache_requests_total{result="miss"}' in metrics


def test_redis_down_falls_back_and_reports_degraded(api_warehouse, tmp_path, make_config):
    from fastapi.testclient import TestClient
    from support.network import free_port

    from binance_api.main import create_app

    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    config = make_config(api_warehouse, tmp_path, redis_url=dead, redis_prefix="unused", weight_limit_1m=10)
    with TestClient(create_app(config)) as c:
        r = c.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m", "limit": 2})
        assert r.status_code == 200 and len(r.json()) == 2
        assert r.headers["x-mbx-used-weight-1m"] == "2"
        codes = [c.get("/api/v3/ping").status_code for _ in range(9)]
        assert codes == [200] * 8 + [429]  # the in-process limiter still enforces the budget
        ready = c.get("/health/ready").json()
        assert ready["status"] == "degraded"
        assert ready["checks"]["redis"]["status"] == "unavailable"
        assert ready["checks"]["rate_limits"] == {"status": "degraded", "storage": "in-process"}


def test_cors_from_settings(api_warehouse, redis_url, redis_prefix, tmp_path, make_config):
    from fastapi.testclient import TestClient

    from binance_api.main import create_app

    config = make_config(api_warehouse, tmp_path, redis_url=redis_url, redis_prefix=f"{redis_prefix}:cors",
                         cors_origins="https://dash.example.com")
    with TestClient(create_app(config)) as c:
        ok = c.get("/api/v3/ping", headers={"Origin": "https://dash.example.com"})
        assert ok.headers["access-control-allow-origin"] == "https://dash.example.com"
        other = c.get("/api/v3/ping", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in other.headers
