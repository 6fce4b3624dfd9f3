"""Binance's own clients, unchanged but for the base URL, read the platform's warehouse through a real
uvicorn server: ccxt (load_markets, fetch_time, fetch_ohlcv, fetch_trades) and binance-sdk-spot (time,
exchange_info, klines, agg_trades). Each client's rate-limit error is raised on our 429."""

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
