"""Binance's own clients, unchanged but for the base URL, read the platform's warehouse through a real
uvicorn server: ccxt (load_markets, also over a universe with delisted symbols; fetch_time, fetch_ohlcv,
fetch_trades), ccxt's USD-M futures client binanceusdm (load_markets, fetch_ohlcv, fetch_trades) and
binance-sdk-spot (time, exchange_info, klines, agg_trades). Each client's rate-limit error is
raised on our 429."""

from __future__ import annotations

import pandas as pd
import pytest

from binance_assets.binance import rest_shapes as rs

pytestmark = pytest.mark.xdist_group("api")
DAY_MS = 1735689600000


def _ms(ts) -> int:
    return int(pd.Timestamp(ts).value // 1_000_000)


def _ccxt(base: str):
    import ccxt

    return ccxt.binance({
        "urls": {"api": {"public": base + "/api/v3", "private": base + "/api/v3"}},
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False},
        "enableRateLimit": False,
        "timeout": 10_000,
    })


def _sdk(base: str):
    from binance_sdk_spot.spot import ConfigurationRestAPI, Spot

    return Spot(config_rest_api=ConfigurationRestAPI(api_key="", api_secret="", base_path=base, retries=0))


def test_ccxt_reads_the_warehouse(live_url, api_warehouse):
    ex = _ccxt(live_url)
    markets = ex.load_markets()
    assert {"BTC/USDT", "ETH/USDT"} <= set(markets) and markets["BTC/USDT"]["active"] is True
    assert abs(ex.fetch_time() - ex.milliseconds()) < 10_000
    bars = api_warehouse.query(
        "SELECT * FROM marts.fct_bars_1m WHERE symbol = 'BTCUSDT' ORDER BY open_time LIMIT 300"
    )
    ohlcv = ex.fetch_ohlcv("BTC/USDT", "1m", since=DAY_MS, limit=300)
    # ccxt parses Binance's 8-decimal strings: the warehouse's values as Binance prints them.
    d = lambda v: float(rs.decimal_str(v))  # noqa: E731
    assert ohlcv == [[_ms(b.open_time), d(b.open), d(b.high), d(b.low), d(b.close), d(b.volume)]
                     for b in bars.itertuples()]
    agg = api_warehouse.query(
        "SELECT * FROM raw.spot_agg_trades WHERE symbol = 'ETHUSDT' AND trade_time >= '2025-01-01 00:00:00' "
        "AND trade_time < '2025-01-01 01:00:00' ORDER BY agg_trade_id LIMIT 50"
    )
    trades = ex.fetch_trades("ETH/USDT", since=DAY_MS, limit=50)
    assert [int(t["id"]) for t in trades] == list(agg.agg_trade_id)
    assert [t["price"] for t in trades] == [d(p) for p in agg.price]
    assert [t["amount"] for t in trades] == [d(q) for q in agg.qty]
    assert [t["side"] for t in trades] == ["sell" if m else "buy" for m in agg.is_buyer_maker]


def _binanceusdm(base: str):
    import ccxt

    return ccxt.binanceusdm({
        "urls": {"api": {"fapiPublic": base + "/fapi/v1"}},
        "options": {"fetchCurrencies": False},
        "enableRateLimit": False,
        "timeout": 10_000,
    })


def test_ccxt_binanceusdm_reads_the_futures_warehouse(live_url, api_warehouse):
    """ccxt's USD-M futures client, unchanged but for its base URL: the perpetual the warehouse holds, its 1m
    bars as OHLCV and its aggregate trades, in Binance's futures shapes."""
    ex = _binanceusdm(live_url)
    markets = ex.load_markets()
    assert list(markets) == ["BTC/USDT:USDT"]
    market = markets["BTC/USDT:USDT"]
    assert (market["id"], market["swap"], market["linear"], market["settle"], market["active"]) == (
        "BTCUSDT", True, True, "USDT", True)
    d = lambda v: float(rs.decimal_str(v))  # noqa: E731
    bars = api_warehouse.query(
        "SELECT * FROM marts.fct_um_bars_1m WHERE symbol = 'BTCUSDT' ORDER BY open_time LIMIT 1500"
    )
    ohlcv = ex.fetch_ohlcv("BTC/USDT:USDT", "1m", since=DAY_MS, limit=1000)  # ccxt asks for 1000 at most
    assert ohlcv == [[_ms(b.open_time), d(b.open), d(b.high), d(b.low), d(b.close), d(b.volume)]
                     for b in bars.head(1000).itertuples()]
    raw = ex.fapiPublicGetKlines({"symbol": "BTCUSDT", "interval": "1m", "startTime": DAY_MS, "limit": 1500})
    assert [int(k[0]) for k in raw] == [_ms(t) for t in bars.open_time]  # futures' limit goes up to 1500
    spot = api_warehouse.query("SELECT close FROM marts.fct_bars_1m WHERE symbol = 'BTCUSDT' ORDER BY open_time "
                               "LIMIT 1000")
    assert [row[4] for row in ohlcv] != [d(c) for c in spot.close]  # the futures bars, not the spot ones
    agg = api_warehouse.query(
        "SELECT * FROM raw.um_agg_trades WHERE symbol = 'BTCUSDT' AND trade_time >= '2025-01-01 00:00:00' "
        "AND trade_time < '2025-01-01 01:00:00' ORDER BY agg_trade_id LIMIT 50"
    )
    assert len(agg) > 0
    trades = ex.fetch_trades("BTC/USDT:USDT", since=DAY_MS, limit=50)
    assert [int(t["id"]) for t in trades] == list(agg.agg_trade_id)
    assert [t["price"] for t in trades] == [d(p) for p in agg.price]
    assert [t["amount"] for t in trades] == [d(q) for q in agg.qty]
    assert [t["timestamp"] for t in trades] == [_ms(t) for t in agg.trade_time]
    assert [t["side"] for t in trades] == ["sell" if m else "buy" for m in agg.is_buyer_maker]
    assert all("M" not in t["info"] for t in trades)  # the futures shape: no best match


def test_ccxt_marks_delisted_symbols_inactive(universe_url):
    """Over a universe with BREAK symbols: ccxt's markets are the universe's rows, `active` False for the delisted
    (ccxt: active = status == 'TRADING')."""
    from support.universe import sample_rows

    rows = sample_rows()
    markets = _ccxt(universe_url).load_markets()
    assert set(markets) == {f"{r.base_asset}/{r.quote_asset}" for r in rows}
    assert {r.status for r in rows} == {"TRADING", "BREAK"}
    for r in rows:
        market = markets[f"{r.base_asset}/{r.quote_asset}"]
        assert (market["id"], market["spot"], market["active"]) == (r.symbol, True, r.status == "TRADING")


def test_ccxt_errors(live_url):
    import ccxt

    ex = _ccxt(live_url)
    ex.load_markets()
    with pytest.raises(ccxt.BadSymbol):
        ex.publicGetKlines({"symbol": "NOPEUSDT", "interval": "1m"})


def test_binance_sdk_spot_reads_the_warehouse(live_url, api_warehouse):
    from binance_sdk_spot.rest_api.models import KlinesIntervalEnum

    api = _sdk(live_url).rest_api
    assert abs(api.time().data().server_time - pd.Timestamp.now(tz="UTC").value // 1_000_000) < 10_000
    info = api.exchange_info().data()
    assert [s.symbol for s in info.symbols] == ["BTCUSDT", "ETHUSDT"]
    bars = api_warehouse.query(
        "SELECT * FROM marts.fct_bars_1m WHERE symbol = 'ETHUSDT' ORDER BY open_time LIMIT 100"
    )
    klines = api.klines(symbol="ETHUSDT", interval=KlinesIntervalEnum["INTERVAL_1m"].value, start_time=DAY_MS,
                        limit=100).data()
    rows = [[item.actual_instance if hasattr(item, "actual_instance") else item for item in k] for k in klines]
    assert rows == [rs.kline_array(_ms(b.open_time), b.open, b.high, b.low, b.close, b.volume,
                                   _ms(b.open_time) + 59_999, b.quote_volume, b.trade_count,
                                   b.taker_buy_base_volume, b.taker_buy_quote_volume) for b in bars.itertuples()]
    raw = api_warehouse.query(
        "SELECT * FROM raw.spot_agg_trades WHERE symbol = 'BTCUSDT' ORDER BY agg_trade_id LIMIT 20"
    )
    agg = api.agg_trades(symbol="BTCUSDT", from_id=int(raw.agg_trade_id.iloc[0]), limit=20).data()
    assert [(a.a, a.p, a.q, a.f, a.l, a.T, a.m, a.M) for a in agg] == [
        (r.agg_trade_id, rs.decimal_str(r.price), rs.decimal_str(r.qty), r.first_trade_id, r.last_trade_id,
         _ms(r.trade_time), r.is_buyer_maker, r.is_best_match) for r in raw.itertuples()
    ]


@pytest.fixture
def tight_server(api_warehouse, redis_url, redis_prefix, tmp_path, make_config):
    from support.live_server import LiveServer

    from binance_api.main import create_app

    config = make_config(api_warehouse, tmp_path, redis_url=redis_url,
                         redis_prefix=f"{redis_prefix}:tight-{tmp_path.name}", weight_limit_1m=25)
    with LiveServer(create_app(config)) as server:
        yield server.url


def test_each_client_raises_its_rate_limit_error(tight_server):
    import ccxt
    from binance_common.errors import TooManyRequestsError

    api = _sdk(tight_server).rest_api
    api.exchange_info()  # weight 20 of 25
    with pytest.raises(TooManyRequestsError):
        for _ in range(5):
            api.agg_trades(symbol="BTCUSDT", limit=1)  # weight 4: the second one is over
    ex = _ccxt(tight_server)
    with pytest.raises(ccxt.DDoSProtection):
        ex.fetch_time()


def test_concurrent_requests_over_real_http(live_url):
    """Many requests at once through uvicorn's thread pool: each gets its own DuckDB cursor."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    urls = [f"{live_url}/api/v3/klines?symbol=BTCUSDT&interval={iv}&limit=50&startTime={DAY_MS + i * 60_000}"
            for i in range(40) for iv in ("1m", "5m")]
    urls += [f"{live_url}/api/v3/aggTrades?symbol=ETHUSDT&limit=20&startTime={DAY_MS + i * 60_000}" for i in range(40)]
    with httpx.Client(timeout=30) as http, ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda u: http.get(u).status_code, urls))
    assert codes == [200] * len(urls)


def test_clients_page_and_window_like_on_binance(live_url, api_warehouse):
    """Binance's windows through both clients, against the raw rows: fromId paging (the last id + 1) over a
    symbol's whole history, a startTime..endTime window of three hours (no one-hour limit on spot), fromId
    with a time refused (-1128), and an endTime inside an hour that still returns the whole hour's kline."""
    import ccxt
    from binance_common.errors import BadRequestError
    from binance_sdk_spot.rest_api.models import KlinesIntervalEnum

    raw = api_warehouse.query("SELECT * FROM raw.spot_agg_trades WHERE symbol = 'ETHUSDT' ORDER BY agg_trade_id")
    ids = [int(a) for a in raw.agg_trade_id]
    ex, api = _ccxt(live_url), _sdk(live_url).rest_api
    by_ccxt, by_sdk, from_id = [], [], ids[0]
    while True:
        page = ex.fetch_trades("ETH/USDT", limit=1000, params={"fromId": from_id})
        by_ccxt += [int(t["id"]) for t in page]
        sdk_page = api.agg_trades(symbol="ETHUSDT", from_id=from_id, limit=1000).data()
        by_sdk += [a.a for a in sdk_page]
        if len(page) < 1000:
            break
        from_id = by_ccxt[-1] + 1
    assert by_ccxt == by_sdk == ids

    t_ms = raw.trade_time.astype("datetime64[us]").astype("int64") // 1000
    start, end = DAY_MS + 3_600_000, DAY_MS + 4 * 3_600_000
    window = [int(a) for a in raw.agg_trade_id[(t_ms >= start) & (t_ms <= end)]][:1000]
    assert len(window) > 100
    got = api.agg_trades(symbol="ETHUSDT", start_time=start, end_time=end, limit=1000).data()
    assert [a.a for a in got] == window
    assert [int(t["id"]) for t in ex.fetch_trades("ETH/USDT", limit=1000, params={"startTime": start,
                                                                                   "endTime": end})] == window
    with pytest.raises(BadRequestError, match="Combination of optional parameters invalid"):
        api.agg_trades(symbol="ETHUSDT", from_id=ids[3], start_time=start)
    with pytest.raises(ccxt.BadRequest):
        ex.fetch_trades("ETH/USDT", since=start, params={"fromId": ids[3]})

    hour = raw[(t_ms >= DAY_MS + 10 * 3_600_000) & (t_ms < DAY_MS + 11 * 3_600_000)]
    kline = api.klines(symbol="ETHUSDT", interval=KlinesIntervalEnum["INTERVAL_1h"].value,
                       start_time=DAY_MS + 10 * 3_600_000, end_time=DAY_MS + 10 * 3_600_000 + 30 * 60_000).data()
    row = [item.actual_instance if hasattr(item, "actual_instance") else item for item in kline[0]]
    assert len(kline) == 1 and row[0] == DAY_MS + 10 * 3_600_000 and row[6] == DAY_MS + 11 * 3_600_000 - 1
    assert row[4] == rs.decimal_str(hour.price.iloc[-1])
    assert float(row[5]) == pytest.approx(hour.qty.sum(), abs=1.5e-8)
    ohlcv = ex.fetch_ohlcv("ETH/USDT", "1h", since=DAY_MS + 10 * 3_600_000, limit=1,
                           params={"endTime": DAY_MS + 10 * 3_600_000 + 30 * 60_000})
    assert ohlcv[0][4] == float(rs.decimal_str(hour.price.iloc[-1]))
