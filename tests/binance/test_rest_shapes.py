"""Binance's REST shapes: real responses rebuilt verbatim, and the simulator's REST rows equal to the
archive mirror's rows, id for id, for a millisecond day and a microsecond day."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from binance_assets.binance import rest_shapes as shapes
from binance_assets.binance.datasets import raw_datasets
from binance_assets.binance.rest_client import BinanceRestClient
from binance_assets.binance.rest_errors import ResponseShapeError
from binance_assets.binance.rest_parse import AGG_KEYS, TRADE_KEYS, parse_c2c_page, rows_of
from binance_assets.binance.rest_sim_market import SimMarket
from binance_assets.binance.rest_simulator import RestSimulator
from binance_assets.binance.rest_tables import RestFetcher, agg_trades_table, klines_table, trades_table
from binance_assets.binance.schema import ArchiveKind, Market
from binance_assets.binance.simulator import simulate_day


def _load(fixtures_dir, name):
    return json.loads((fixtures_dir / "rest" / name).read_text())


def test_decimal_str_prints_like_binance():
    assert shapes.decimal_str(97000.01) == "97000.01000000"
    assert shapes.decimal_str(0.1 + 0.2) == "0.30000000"
    assert shapes.decimal_str("60759.6") == "60759.60000000"
    assert shapes.decimal_str(Decimal("1E-8")) == "0.00000001"
    assert shapes.decimal_str(3) == "3.00000000"
    for bad in (float("nan"), "abc", True):
        with pytest.raises((ValueError, TypeError)):
            shapes.decimal_str(bad)


def test_real_responses_rebuild_verbatim(fixtures_dir):
    aggs = _load(fixtures_dir, "agg_trades.json")
    assert [shapes.agg_trade_obj(r["a"], r["p"], r["q"], r["f"], r["l"], r["T"], r["m"], r["M"]) for r in aggs] == aggs
    for name in ("historical_trades.json", "trades.json"):
        trades = _load(fixtures_dir, name)
        rebuilt = [
            shapes.trade_obj(
                r["id"], r["price"], r["qty"], r["quoteQty"], r["time"], r["isBuyerMaker"], r["isBestMatch"]
            )
            for r in trades
        ]
        assert rebuilt == trades
    klines = _load(fixtures_dir, "klines.json")
    assert [shapes.kline_array(*(float(v) if isinstance(v, str) else v for v in k[:11])) for k in klines] == klines
    assert shapes.INTERVAL_MS["1h"] == 3_600_000 and shapes.INTERVAL_MS["1M"] is None
    assert shapes.error_body(-1121, "Invalid symbol.") == {"code": -1121, "msg": "Invalid symbol."}


def test_real_responses_parse_into_canonical_tables(fixtures_dir):
    aggs = rows_of(_load(fixtures_dir, "agg_trades.json"), AGG_KEYS, "/api/v3/aggTrades")
    table = agg_trades_table(aggs, micros=False)
    assert table.column("agg_trade_id").to_pylist()[0] == 966492862
    assert table.column("price").to_pylist()[0] == 60759.6
    assert str(table.column("trade_time")[0]) == "2021-10-22 23:08:16.633000"
    trades = trades_table(rows_of(_load(fixtures_dir, "historical_trades.json"), TRADE_KEYS, "t"), micros=False)
    assert trades.column("quote_qty").to_pylist()[0] == 20.6770252
    klines = klines_table(_load(fixtures_dir, "klines.json"), micros=False)
    assert klines.num_rows == 10 and klines.column("trade_count").to_pylist()[0] == 617
    with pytest.raises(ResponseShapeError, match=r"lacks fields \['M'\]"):
        rows_of([{k: v for k, v in aggs[0].items() if k != "M"}], AGG_KEYS, "/api/v3/aggTrades")


def test_c2c_docs_example_and_bare_list_parse_alike(fixtures_dir):
    body = json.loads((fixtures_dir / "c2c" / "c2c_listUserOrderHistory.docs-example.json").read_text())
    rows, total = parse_c2c_page(body)
    assert total == 1 and rows[0]["orderNumber"] == "20219644646554779648"
    bare_rows, bare_total = parse_c2c_page(body["data"])
    assert bare_rows == rows and bare_total is None
    with pytest.raises(ResponseShapeError):
        parse_c2c_page({"unexpected": True})


@pytest.mark.parametrize("day", [date(2024, 12, 31), date(2025, 1, 2)], ids=["ms-day", "us-day"])
def test_simulator_rest_rows_equal_archive_rows(day):
    market = SimMarket(("ETHUSDT",), date(2024, 12, 30), date(2025, 1, 3), trades_per_day=3000, signal=1.0)
    archive = simulate_day("ETHUSDT", day, trades_per_day=3000, signal=1.0)
    with RestSimulator(market) as sim:
        client = BinanceRestClient(sim.base_url)
        fetcher = RestFetcher(client)
        for ds in raw_datasets():
            if ds.market is Market.SPOT:
                assert fetcher.fetch_day(ds, "ETHUSDT", day).equals(archive.table(ds.kind)), ds.id
        # the client's own count of weight is the server's
        assert client.stats.weight == sim.weight_used() and client.stats.requests == len(sim.requests)


def test_simulator_agg_trades_windows_follow_binance_spot():
    """Binance's spot changelog of 2022-12-05: startTime and endTime "can be used individually and the 1 hour
    limit has been removed"; fromId goes alone (-1128 with a time). The simulator answers as Binance does."""
    from binance_assets.binance.rest_errors import BinanceApiError

    day = date(2024, 12, 31)
    market = SimMarket(("ETHUSDT",), day, day, trades_per_day=3000)
    archive = simulate_day("ETHUSDT", day, trades_per_day=3000).table(ArchiveKind.AGG_TRADES).to_pylist()
    start_ms = (archive[0]["trade_time"] - datetime(1970, 1, 1)) // timedelta(milliseconds=1)  # naive UTC
    with RestSimulator(market) as sim:
        client = BinanceRestClient(sim.base_url)
        # Three hours apart: answered, the oldest trades of the window first (the archive's, id for id).
        rows = client.agg_trades("ETHUSDT", start_time=start_ms, end_time=start_ms + 3 * 3_600_000, limit=5)
        assert [r["a"] for r in rows] == [r["agg_trade_id"] for r in archive[:5]]
        with pytest.raises(BinanceApiError) as refused:
            client.agg_trades("ETHUSDT", from_id=archive[0]["agg_trade_id"], start_time=start_ms, limit=5)
        assert refused.value.status == 400 and refused.value.code == shapes.ERR_OPTIONAL_PARAMS_BAD_COMBO
