"""The REST simulator's USD-M futures routes in Binance's futures shapes: ccxt's `binanceusdm`, unchanged but for
its base URL, loads the perpetuals and reads klines and aggregate trades that are exactly the simulated USD-M
archives' rows (read here from the zips with pandas); the shapes match Binance's documented ones (klines: 12
items; aggTrades: a, p, q, f, l, T, m and no M; exchangeInfo: the keys of the real response in shared/fixtures)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import pytest

from binance_assets.binance.datasets import DATASETS
from binance_assets.binance.rest_sim_market import SimMarket
from binance_assets.binance.rest_simulator import RestSimulator
from binance_assets.binance.simulator import simulate_mirror

DAY = date(2025, 1, 2)
DAY_MS = 1735776000000
TRADES = 2000


def binanceusdm(base: str):
    import ccxt

    return ccxt.binanceusdm({"urls": {"api": {"fapiPublic": base + "/fapi/v1"}}, "enableRateLimit": False,
                             "options": {"fetchCurrencies": False}, "timeout": 10_000})


KEY = "a-market-data-key"


@pytest.fixture(scope="module")
def server():
    market = SimMarket(("ETHUSDT",), DAY, DAY, trades_per_day=TRADES, um_symbols=("BTCUSDT",))
    with RestSimulator(market, market_data_keys=frozenset({KEY})) as sim:
        yield sim.base_url


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("um")
    datasets = [DATASETS[i] for i in ("um_trades", "um_agg_trades", "um_klines_1m")]
    frames = {}
    for path in simulate_mirror(out, ["BTCUSDT"], DAY, 1, trades_per_day=TRADES, datasets=datasets):
        with zipfile.ZipFile(path) as zf:
            folder = path.relative_to(out).parts[4]  # data/futures/um/daily/<folder>/...
            frames[folder] = pd.read_csv(io.BytesIO(zf.read(zf.namelist()[0])))
    return frames


def test_ccxt_binanceusdm_reads_the_simulator(server, archives):
    ex = binanceusdm(server)
    markets = ex.load_markets()
    assert list(markets) == ["BTC/USDT:USDT"]
    market = markets["BTC/USDT:USDT"]
    assert (market["id"], market["swap"], market["linear"], market["settle"], market["active"]) == (
        "BTCUSDT", True, True, "USDT", True)
    klines = archives["klines"]
    ohlcv = ex.fetch_ohlcv("BTC/USDT:USDT", "1m", since=DAY_MS, limit=120)
    assert ohlcv == [[int(k.open_time), k.open, k.high, k.low, k.close, k.volume]
                     for k in klines.head(120).itertuples()]
    aggs = archives["aggTrades"]
    trades = ex.fetch_trades("BTC/USDT:USDT", since=DAY_MS, limit=40)
    first = aggs[aggs.transact_time >= DAY_MS].head(40)
    assert [int(t["id"]) for t in trades] == first.agg_trade_id.tolist()
    assert [(t["price"], t["amount"], t["timestamp"]) for t in trades] == list(
        zip(first.price, first.quantity, first.transact_time, strict=True))
    assert [t["side"] for t in trades] == ["sell" if m else "buy" for m in first.is_buyer_maker]


def test_futures_shapes_are_binances(server, fixtures_dir: Path):
    with httpx.Client(base_url=server, timeout=10) as http:
        info = http.get("/fapi/v1/exchangeInfo").json()
        real = json.loads((fixtures_dir / "rest" / "exchange_info_um.json").read_text())
        assert set(info) == set(real)
        assert set(info["symbols"][0]) == set(real["symbols"][0])
        assert [f["filterType"] for f in info["symbols"][0]["filters"]] == [
            f["filterType"] for f in real["symbols"][0]["filters"]]
        agg = http.get("/fapi/v1/aggTrades", params={"symbol": "BTCUSDT", "limit": 3}).json()
        assert [sorted(a) for a in agg] == [sorted("apqflTm")] * 3
        kline = http.get("/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "1m", "limit": 2}).json()
        assert [len(k) for k in kline] == [12, 12] and isinstance(kline[0][1], str) and kline[0][11] == "0"
        wide = http.get("/fapi/v1/aggTrades", params={"symbol": "BTCUSDT", "startTime": DAY_MS,
                                                     "endTime": DAY_MS + 3_600_001})
        assert (wide.status_code, wide.json()["code"]) == (400, -1127)
        assert http.get("/fapi/v1/klines", params={"symbol": "ETHUSDT", "interval": "1m"}).json()["code"] == -1121


def test_futures_trades_are_the_archives_and_historical_trades_want_an_api_key(server, archives):
    """`/fapi/v1/trades` (the most recent) and `/fapi/v1/historicalTrades` (by fromId, MARKET_DATA: the key, no
    signature) in the futures shape: id, price, qty, quoteQty, time, isBuyerMaker, no isBestMatch."""
    trades = archives["trades"]
    with httpx.Client(base_url=server, timeout=10) as http:
        recent = http.get("/fapi/v1/trades", params={"symbol": "BTCUSDT", "limit": 5}).json()
        assert [r["id"] for r in recent] == trades.id.tail(5).tolist()
        assert [sorted(r) for r in recent] == [sorted(["id", "price", "qty", "quoteQty", "time", "isBuyerMaker"])] * 5
        old = {"symbol": "BTCUSDT", "fromId": int(trades.id[10]), "limit": 3}
        keyed = http.get("/fapi/v1/historicalTrades", params=old, headers={"X-MBX-APIKEY": KEY}).json()
        rows = trades.iloc[10:13]
        assert [(r["id"], float(r["price"]), float(r["qty"]), float(r["quoteQty"]), r["time"], r["isBuyerMaker"])
                for r in keyed] == list(zip(rows.id, rows.price, rows.qty, rows.quote_qty, rows.time,
                                            rows.is_buyer_maker, strict=True))  # fmt: skip
        unkeyed = http.get("/fapi/v1/historicalTrades", params=old)
        assert (unkeyed.status_code, unkeyed.json()["code"]) == (401, -2014)
        wrong = http.get("/fapi/v1/historicalTrades", params=old, headers={"X-MBX-APIKEY": "not-a-key"})
        assert (wrong.status_code, wrong.json()["code"]) == (401, -2015)
