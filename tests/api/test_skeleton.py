"""The service's basics: no Dagster import, auth on /api/v1, bars with cursor pagination, local tokens."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

pytestmark = pytest.mark.xdist_group("api")


def test_importing_the_api_does_not_import_dagster():
    code = (
        "import sys, binance_api.main, binance_api.services.data_service, binance_assets.warehouse, "
        "binance_assets.settings; bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dagster', 'dagster_dbt', 'dbt')); print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_bars_need_a_token(client):
    r = client.get("/api/v1/bars/BTCUSDT", params={"start": "2025-01-01T00:00:00", "end": "2025-01-02T00:00:00"})
    assert r.status_code == 401
    assert r.json()["error"] == "missing_token"
    assert "x-request-id" in r.headers


def test_bars_match_the_warehouse_across_pages(client, auth, api_warehouse):
    expected = api_warehouse.query(
        "SELECT open_time, close FROM marts.fct_bars_1m WHERE symbol = 'BTCUSDT' AND trade_date = '2025-01-01' "
        "ORDER BY open_time"
    )
    got, cursor, pages = [], None, 0
    while True:
        params = {"start": "2025-01-01T00:00:00", "end": "2025-01-02T00:00:00", "limit": 400}
        if cursor:
            params["cursor"] = cursor
        r = client.get("/api/v1/bars/BTCUSDT", params=params, headers=auth)
        assert r.status_code == 200, r.text
        body = r.json()
        got += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(expected) > 400 and pages == -(-len(expected) // 400)
    assert [dt.datetime.fromisoformat(b["open_time"]).replace(tzinfo=None) for b in got] == list(expected["open_time"])
    assert [b["close"] for b in got] == list(expected["close"])


def test_bad_cursor_is_a_clear_400(client, auth):
    r = client.get("/api/v1/bars/BTCUSDT", params={"start": "2025-01-01T00:00:00", "end": "2025-01-02T00:00:00",
                                                   "cursor": "bm90LWEtY3Vyc29y"}, headers=auth)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_cursor"


def test_scope_is_enforced(client, token):
    r = client.get("/api/v1/daily/BTCUSDT", headers={"Authorization": f"Bearer {token(scopes=['predictions'])}"})
    assert r.status_code == 403
    assert r.json() == {"error": "insufficient_scope", "reason": "the token lacks the scope 'market_data'"}


def test_daily_stats_and_gaps(client, auth, api_warehouse):
    r = client.get("/api/v1/daily/ETHUSDT", params={"limit": 1}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["trade_date"] for i in body["items"]] == ["2025-01-01"]
    r2 = client.get("/api/v1/daily/ETHUSDT", params={"limit": 1, "cursor": body["next_cursor"]}, headers=auth)
    assert [i["trade_date"] for i in r2.json()["items"]] == ["2025-01-02"]
    assert r2.json()["next_cursor"] is None
    gaps = client.get("/api/v1/gaps", headers=auth)
    assert gaps.status_code == 200
    n = int(api_warehouse.query("SELECT count(*) AS n FROM marts.fct_data_gaps")["n"].iloc[0])
    assert len(gaps.json()["items"]) == n


def test_cli_mints_a_token_the_api_accepts(client, api_config, tmp_path):
    import jwt

    env = {"BINANCE_ASSETS_DATA_DIR": str(api_config.core.data_dir),
           "BINANCE_ASSETS_API_JWT_SECRET": api_config.api.jwt_secret.get_secret_value(), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "binance_api.cli", "token", "--subject", "alice", "--scopes", "market_data"],
        capture_output=True, text=True, env={**env, "PYTHONPATH": ":".join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == "alice"
    r = client.get("/api/v1/daily/BTCUSDT", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
