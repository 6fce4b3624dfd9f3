"""The dashboard's Market page lists the USD-M perpetual the warehouse holds (`UM:BTCUSDT`, after the spot
symbols) and charts its futures bars: the candles are marts.fct_um_bars_1m's rows, not the spot ones."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.xdist_group("api")


@pytest.fixture(scope="module")
def dash(api_warehouse, make_config, tmp_path_factory):
    from fastapi.testclient import TestClient

    from binance_api.core.security import mint_token
    from binance_api.main import create_app

    config = make_config(api_warehouse, tmp_path_factory.mktemp("um_dash"))
    token = mint_token(config, "viewer", ["market_data", "predictions"], dt.timedelta(hours=1))
    with TestClient(create_app(config), cookies={"bmp_dashboard": token}) as client:
        yield client


def test_the_market_page_lists_and_charts_the_usd_m_perpetual(dash, api_warehouse):
    listed = dash.get("/dashboard/data/symbols").json()["symbols"]
    assert [x["symbol"] for x in listed][-1] == "UM:BTCUSDT"
    um = next(x for x in listed if x["symbol"] == "UM:BTCUSDT")
    assert (um["quote_asset"], um["data"], um["first_day"]) == ("USDT", True, "2025-01-01")
    r = dash.get("/dashboard/data/market", params={"symbol": "UM:BTCUSDT", "interval": "1m", "start": "2025-01-01",
                                                   "end": "2025-01-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    bars = api_warehouse.query("SELECT open_time, close FROM marts.fct_um_bars_1m WHERE symbol = 'BTCUSDT' "
                               "AND trade_date = '2025-01-01' ORDER BY open_time")
    assert [c["close"] for c in body["candles"]] == bars["close"].tolist()
    assert [c["time"] for c in body["candles"]] == [int(t.timestamp()) for t in bars["open_time"]]
    assert body["predictions"]["available"] is False
    assert dash.get("/dashboard/data/market", params={"symbol": "UM:NOPEUSDT"}).status_code == 404


def test_the_health_heat_map_keeps_to_the_spot_symbols_tables(dash):
    """Its rows are the spot universe's symbols: a USD-M table there would show ETHUSDT's (non-existent) futures
    partitions as missing. The futures tables stay off it."""
    body = dash.get("/dashboard/data/health", params={"start": "2025-01-01", "end": "2025-01-02"}).json()
    names = str(body["tables"])
    assert "spot_trades" in names and "fct_bars_1m" in names
    assert "um_trades" not in names and "fct_um_bars_1m" not in names
