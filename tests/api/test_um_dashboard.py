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


def test_the_health_heat_map_has_the_usd_m_tables_for_the_usd_m_rows(dash, api_warehouse):
    """The futures tables (the registry's um_* raw tables and their bars) are on the heat map, with a row for the
    USD-M perpetual (`UM:BTCUSDT`, as the Market page names it) and none for the spot symbols; the spot tables have
    no futures row. Each futures cell is what raw.load_log records for BTCUSDT's USD-M partition of that day."""
    days = ["2025-01-01", "2025-01-02"]
    body = dash.get("/dashboard/data/health", params={"start": days[0], "end": days[-1]}).json()
    rows = {t["table"]: [r["symbol"] for r in t["rows"]] for t in body["tables"]}
    um_raw = ["raw.um_agg_trades", "raw.um_klines_1m", "raw.um_trades"]
    assert {t for t, symbols in rows.items() if "UM:BTCUSDT" in symbols} == {*um_raw, "marts.fct_um_bars_1m"}
    assert all(symbols == ["UM:BTCUSDT"] for t, symbols in rows.items() if t in um_raw)
    assert "BTCUSDT" in rows["raw.spot_trades"] and "UM:BTCUSDT" not in rows["raw.spot_trades"]
    log = api_warehouse.query("SELECT table_name, trade_date FROM raw.load_log WHERE symbol = 'BTCUSDT' "
                              "AND table_name LIKE 'um_%' AND superseded_at IS NULL")
    loaded = {(f"raw.{r.table_name}", r.trade_date.isoformat()) for r in log.itertuples()}
    assert {day for _, day in loaded} == set(days)  # the expectation covers both days
    cells = {t["table"]: t["rows"][0]["cells"] for t in body["tables"] if t["table"] in um_raw}
    assert cells == {t: ["loaded" if (t, d) in loaded else "missing" for d in days] for t in um_raw}
    detail = dash.get("/dashboard/data/partition", params={"table": "raw.um_trades", "symbol": "UM:BTCUSDT",
                                                           "day": days[0]}).json()
    rows_logged = api_warehouse.query("SELECT rows FROM raw.load_log WHERE table_name = 'um_trades' AND symbol = "
                                      "'BTCUSDT' AND trade_date = ? AND superseded_at IS NULL", [days[0]])
    assert detail["load_record"]["rows"] == int(rows_logged["rows"].iloc[0]) > 0
