"""The API on the PostgreSQL warehouse (ci/prod): same answers as on DuckDB, and a cache keyed on the
warehouse's publish record (raw.publish_log), which every partition replace and dbt build bumps."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

pytestmark = pytest.mark.xdist_group("api")
DAYS = [dt.date(2025, 1, 1), dt.date(2025, 1, 2)]
DAY_MS = 1735689600000


@pytest.mark.parametrize(
    "params",
    [
        {"symbol": "BTCUSDT", "interval": "1m", "startTime": DAY_MS, "limit": 1000},
        {"symbol": "BTCUSDT", "interval": "15m", "startTime": DAY_MS, "endTime": DAY_MS + 86_400_000 - 1},
        {"symbol": "BTCUSDT", "interval": "1d"},
        {"symbol": "BTCUSDT", "interval": "1w"},
        {"symbol": "BTCUSDT", "interval": "1M"},
    ],
)
def test_klines_same_on_both_engines(client, pg_client, params):
    pg = pg_client[0].get("/api/v3/klines", params=params)
    duck = client.get("/api/v3/klines", params=params)
    assert pg.status_code == duck.status_code == 200
    assert pg.json() == duck.json() and len(pg.json()) > 0


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m", "startTime": DAY_MS, "limit": 1500}),
        ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1h"}),
        ("/fapi/v1/aggTrades", {"symbol": "BTCUSDT", "startTime": DAY_MS, "endTime": DAY_MS + 3_600_000}),
        ("/fapi/v1/exchangeInfo", {}),
    ],
)
def test_usd_m_futures_same_on_both_engines(client, pg_client, path, params):
    pg, duck = pg_client[0].get(path, params=params), client.get(path, params=params)
    assert pg.status_code == duck.status_code == 200
    pg_body, duck_body = pg.json(), duck.json()
    if path.endswith("exchangeInfo"):
        pg_body, duck_body = pg_body["symbols"], duck_body["symbols"]
        assert [s["symbol"] for s in pg_body] == ["BTCUSDT"]
    assert pg_body == duck_body and len(pg_body) > 0


def test_trades_and_v1_same_on_both_engines(client, pg_client, auth):
    pgc, app = pg_client
    for path, params in [("/api/v3/aggTrades", {"symbol": "BTCUSDT", "startTime": DAY_MS + 3_600_000,
                                                "endTime": DAY_MS + 7_200_000, "limit": 100}),
                         ("/api/v3/historicalTrades", {"symbol": "BTCUSDT", "limit": 20})]:
        assert pgc.get(path, params=params).json() == client.get(path, params=params).json()
    from binance_api.core.security import mint_token

    pg_auth = {"Authorization": "Bearer " + mint_token(app.state.services.config, "pg", ["market_data", "predictions"],
                                                        dt.timedelta(minutes=5))}
    daily_pg = pgc.get("/api/v1/daily/BTCUSDT", headers=pg_auth).json()["items"]
    daily_duck = client.get("/api/v1/daily/BTCUSDT", headers=auth).json()["items"]
    assert [(d["trade_date"], d["close"], d["trade_count"]) for d in daily_pg] == [
        (d["trade_date"], d["close"], d["trade_count"]) for d in daily_duck]
    assert [d["vwap"] for d in daily_pg] == pytest.approx([d["vwap"] for d in daily_duck])
    latest = "/api/v1/predictions/BTCUSDT/latest"
    assert pgc.get(latest, headers=pg_auth).json() == client.get(latest, headers=auth).json()
    acc = "/api/v1/predictions/BTCUSDT/accuracy"
    acc_pg, acc_duck = pgc.get(acc, headers=pg_auth).json()["items"], client.get(acc, headers=auth).json()["items"]
    assert acc_pg[0]["realised"] == acc_duck[0]["realised"] > 0
    assert acc_pg[0]["hit_rate"] == pytest.approx(acc_duck[0]["hit_rate"])


def test_publish_version_invalidates_the_pg_cache(pg_client, pg_warehouse, api_warehouse):
    pgc, app = pg_client
    from binance_api.core.security import mint_token

    headers = {"Authorization": "Bearer " + mint_token(app.state.services.config, "pg", ["predictions"],
                                                        dt.timedelta(minutes=5))}
    url = "/api/v1/predictions/BTCUSDT/latest"
    before = pg_warehouse.publish_version()
    first = pgc.get(url, headers=headers).json()
    assert pgc.get(url, headers=headers).json() == first  # cached
    rows = api_warehouse.query("SELECT * FROM ml.predictions WHERE symbol = 'BTCUSDT' AND trade_date = ?", [DAYS[1]])
    rows["model_version"] = "v9"
    pg_warehouse.replace_table_partition("ml.predictions", "BTCUSDT", DAYS[1],
                                         pa.Table.from_pandas(rows, preserve_index=False))
    assert pg_warehouse.publish_version() == before + 1
    assert {p["model_version"] for p in pgc.get(url, headers=headers).json()["items"]} == {"v9"}
    pg_warehouse.record_publish("dbt build (test)")
    assert pg_warehouse.publish_version() == before + 2


def test_duckdb_publish_version_grows_with_every_write(tmp_path):
    import pandas as pd

    from binance_assets.warehouse import DuckDBWarehouse

    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    assert wh.publish_version() == 0
    frame = pd.DataFrame({"symbol": ["BTCUSDT"], "trade_date": [dt.date(2025, 1, 1)], "x": [1.0]})
    wh.replace_table_partition("ml.something", "BTCUSDT", "2025-01-01", frame)
    wh.replace_table_partition("ml.something", "BTCUSDT", "2025-01-01", frame)
    wh.record_publish("dbt build")
    assert wh.publish_version() == 3
    bad = frame.assign(symbol="ETHUSDT")
    with pytest.raises(ValueError):
        wh.replace_table_partition("ml.something", "BTCUSDT", "2025-01-01", bad)
    assert wh.publish_version() == 3  # a refused write publishes nothing
