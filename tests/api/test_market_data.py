"""/api/v3: Binance's shapes, aggregation, errors, weights and 429, against the warehouse's own rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from binance_assets.binance import rest_shapes as rs

pytestmark = pytest.mark.xdist_group("api")
DAY_MS = 1735689600000  # 2025-01-01T00:00:00Z


def _ms(ts) -> int:
    return int(pd.Timestamp(ts).value // 1_000_000)


def test_decimal_str_prints_like_binance():
    assert rs.decimal_str(97000.01) == "97000.01000000"
    assert rs.decimal_str(0.1 + 0.2) == "0.30000000"
    assert rs.decimal_str(1e-9) == "0.00000000"
    assert rs.decimal_str("3.5") == "3.50000000"
    assert rs.decimal_str(123456789.123456789) == "123456789.12345679"
    with pytest.raises(ValueError):
        rs.decimal_str(float("nan"))
    k = rs.kline_array(1, 1.0, 2.0, 0.5, 1.5, 10, 59999, 15.0, 3, 4.0, 6.0)
    assert len(k) == 12 and k[-1] == "0" and isinstance(k[0], int) and isinstance(k[1], str)


def test_ping_time_and_weight_header(client):
    r = client.get("/api/v3/ping")
    assert r.status_code == 200 and r.json() == {}
    used = int(r.headers["x-mbx-used-weight-1m"])
    r = client.get("/api/v3/time")
    assert abs(r.json()["serverTime"] - dt.datetime.now(dt.UTC).timestamp() * 1000) < 5000
    assert int(r.headers["x-mbx-used-weight-1m"]) >= used + 1
    before = int(client.get("/api/v3/ping").headers["x-mbx-used-weight-1m"])
    after = int(client.get("/api/v3/exchangeInfo").headers["x-mbx-used-weight-1m"])
    assert after - before == 20  # the same client (address), exchangeInfo's weight


def test_exchange_info_lists_the_warehouse_symbols(client):
    body = client.get("/api/v3/exchangeInfo").json()
    assert [s["symbol"] for s in body["symbols"]] == ["BTCUSDT", "ETHUSDT"]
    btc = body["symbols"][0]
    assert (btc["status"], btc["baseAsset"], btc["quoteAsset"]) == ("TRADING", "BTC", "USDT")
    assert {f["filterType"] for f in btc["filters"]} >= {"PRICE_FILTER", "LOT_SIZE"}
    assert body["rateLimits"][0] == {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                                     "limit": 6000}
    one = client.get("/api/v3/exchangeInfo", params={"symbol": "ETHUSDT"}).json()
    assert [s["symbol"] for s in one["symbols"]] == ["ETHUSDT"]


def test_klines_1m_are_the_warehouse_bars(client, api_warehouse):
    bars = api_warehouse.query(
        "SELECT * FROM marts.fct_bars_1m WHERE symbol = 'BTCUSDT' ORDER BY open_time LIMIT 1000"
    )
    r = client.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m", "startTime": DAY_MS,
                                             "limit": 1000})
    assert r.status_code == 200
    got = r.json()
    assert len(got) == 1000
    for row, (_, b) in zip(got, bars.iterrows(), strict=True):
        assert row == rs.kline_array(
            _ms(b.open_time), b.open, b.high, b.low, b.close, b.volume, _ms(b.open_time) + 59_999, b.quote_volume,
            b.trade_count, b.taker_buy_base_volume, b.taker_buy_quote_volume,
        )
    # Default limit 500; no startTime: the most recent ones, oldest first.
    latest = client.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m"}).json()
    last = api_warehouse.query("SELECT max(open_time) AS t FROM marts.fct_bars_1m WHERE symbol = 'BTCUSDT'")
    assert len(latest) == 500 and latest[-1][0] == _ms(last["t"].iloc[0])
    assert [k[0] for k in latest] == sorted(k[0] for k in latest)


@pytest.mark.parametrize("interval", ["5m", "1h", "1d"])
def test_klines_aggregate_like_binance(client, api_warehouse, interval):
    """Prices from the 1m bars resampled by pandas; volume, quote volume, trade count and the taker-buy
    columns from the raw trades (buyer not the maker), summed per kline independently of the bars."""
    bars = api_warehouse.query("SELECT * FROM marts.fct_bars_1m WHERE symbol = 'ETHUSDT' ORDER BY open_time")
    rule = {"5m": "5min", "1h": "1h", "1d": "1D"}[interval]
    g = bars.set_index("open_time").resample(rule)
    agg = pd.DataFrame({
        "open": g["open"].first(), "high": g["high"].max(), "low": g["low"].min(), "close": g["close"].last(),
    }).dropna(subset=["open"])
    trades = api_warehouse.query("SELECT * FROM raw.spot_trades WHERE symbol = 'ETHUSDT' ORDER BY trade_id")
    trades["taker_qty"] = trades["qty"].where(~trades["is_buyer_maker"], 0.0)
    trades["taker_quote"] = trades["quote_qty"].where(~trades["is_buyer_maker"], 0.0)
    t = trades.set_index("trade_time").resample(rule)
    sums = pd.DataFrame({"volume": t["qty"].sum(), "quote_volume": t["quote_qty"].sum(), "n": t["price"].count(),
                         "tbb": t["taker_qty"].sum(), "tbq": t["taker_quote"].sum()})
    agg = agg.join(sums).fillna({"volume": 0.0, "quote_volume": 0.0, "n": 0, "tbb": 0.0, "tbq": 0.0})
    got = client.get("/api/v3/klines", params={"symbol": "ETHUSDT", "interval": interval, "startTime": DAY_MS,
                                               "limit": 1000}).json()
    assert len(got) == len(agg)
    iv = rs.INTERVAL_MS[interval]
    for row, (t, a) in zip(got, agg.iterrows(), strict=True):
        assert row[0] == _ms(t) and row[6] == _ms(t) + iv - 1
        assert row[1:5] == [rs.decimal_str(v) for v in (a.open, a.high, a.low, a.close)]
        assert row[8] == a.n
        for i, column in ((5, "volume"), (7, "quote_volume"), (9, "tbb"), (10, "tbq")):
            # the same values summed in another order: equal to the 8 printed decimals
            assert float(row[i]) == pytest.approx(a[column], abs=1.5e-8), (column, row)
    assert sum(row[8] for row in got) == len(trades)


def test_agg_trades_are_the_raw_rows(client, api_warehouse):
    raw = api_warehouse.query(
        "SELECT * FROM raw.spot_agg_trades WHERE symbol = 'BTCUSDT' ORDER BY agg_trade_id LIMIT 10 OFFSET 100"
    )
    first = int(raw.agg_trade_id.iloc[0])
    got = client.get("/api/v3/aggTrades", params={"symbol": "BTCUSDT", "fromId": first, "limit": 10}).json()
    assert got == [rs.agg_trade_obj(r.agg_trade_id, r.price, r.qty, r.first_trade_id, r.last_trade_id,
                                    _ms(r.trade_time), r.is_buyer_maker, r.is_best_match) for r in raw.itertuples()]
    start = got[3]["T"]
    by_time = client.get("/api/v3/aggTrades", params={"symbol": "BTCUSDT", "startTime": start,
                                                       "endTime": start + 3_600_000, "limit": 2}).json()
    assert by_time[0]["T"] >= start and len(by_time) == 2


def test_trades_and_historical_trades(client, api_warehouse):
    raw = api_warehouse.query("SELECT * FROM raw.spot_trades WHERE symbol = 'ETHUSDT' ORDER BY trade_id")
    recent = client.get("/api/v3/trades", params={"symbol": "ETHUSDT", "limit": 5}).json()
    assert [t["id"] for t in recent] == list(raw.trade_id.iloc[-5:])
    hist = client.get("/api/v3/historicalTrades", params={"symbol": "ETHUSDT", "fromId": int(raw.trade_id.iloc[7]),
                                                          "limit": 3}).json()
    r = raw.iloc[7]
    assert hist[0] == rs.trade_obj(r.trade_id, r.price, r.qty, r.quote_qty, _ms(r.trade_time), r.is_buyer_maker,
                                   r.is_best_match)
    assert len(hist) == 3


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"symbol": "NOPEUSDT", "interval": "1m"}, -1121),
        ({"symbol": "btcusdt", "interval": "1m"}, -1121),
        ({"symbol": "BTCUSDT", "interval": "7m"}, -1120),
        ({"interval": "1m"}, -1102),
        ({"symbol": "BTCUSDT"}, -1102),
        ({"symbol": "BTCUSDT", "interval": "1m", "limit": "abc"}, -1100),
        ({"symbol": "BTCUSDT", "interval": "1m", "limit": 0}, -1130),
        ({"symbol": "BTCUSDT", "interval": "1m", "startTime": 5, "endTime": 1}, -1130),
    ],
)
def test_binance_errors(client, params, code):
    r = client.get("/api/v3/klines", params=params)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == code and set(body) == {"code", "msg"}
    assert "x-mbx-used-weight-1m" in r.headers
    if code == -1121:
        assert body == {"code": -1121, "msg": "Invalid symbol."}


def test_429_with_retry_after_past_the_budget(api_warehouse, redis_url, redis_prefix, tmp_path, make_config):
    from fastapi.testclient import TestClient

    from binance_api.main import create_app

    config = make_config(api_warehouse, tmp_path, redis_url=redis_url, redis_prefix=f"{redis_prefix}:w",
                         weight_limit_1m=30)
    with TestClient(create_app(config)) as c:
        codes = [c.get("/api/v3/aggTrades", params={"symbol": "BTCUSDT", "limit": 1}).status_code for _ in range(8)]
        assert codes[:7] == [200] * 7 and codes[7] == 429  # weight 4: 7 x 4 = 28 <= 30 < 32
        r = c.get("/api/v3/ping")
        assert r.status_code == 429  # the window is spent for this client
        assert r.json()["code"] == -1003
        assert 1 <= int(r.headers["retry-after"]) <= 60
        v1 = c.get("/api/v1/gaps")
        assert v1.status_code == 429 and v1.json()["error"] == "rate_limited"
        metrics = c.get("/metrics").text
        assert "binance_api_rate_limit_rejections_total" in metrics


def test_bounded_first_scans_fall_back_across_gaps(client, api_warehouse):
    """klines 1m and aggTrades look in a bounded range first; across a gap (here: before the first row) that
    range holds fewer rows than `limit` and the open query answers: the same rows as from the first row on."""
    first_bar = {"symbol": "BTCUSDT", "interval": "1m", "limit": 100}
    from_gap = client.get("/api/v3/klines", params={**first_bar, "startTime": DAY_MS - 30 * 60_000}).json()
    assert from_gap == client.get("/api/v3/klines", params={**first_bar, "startTime": DAY_MS}).json()
    assert len(from_gap) == 100 and from_gap[0][0] == DAY_MS
    first_id = int(api_warehouse.query(
        "SELECT min(agg_trade_id) AS a FROM raw.spot_agg_trades WHERE symbol = 'BTCUSDT'")["a"].iloc[0])
    params = {"symbol": "BTCUSDT", "limit": 10}
    from_gap = client.get("/api/v3/aggTrades", params={**params, "fromId": max(first_id - 2000, 0)}).json()
    assert from_gap == client.get("/api/v3/aggTrades", params={**params, "fromId": first_id}).json()
    assert [t["a"] for t in from_gap] == list(range(first_id, first_id + 10))
