"""Queries behind the Binance-compatible paths, in Binance's shapes (see `binance_assets.binance.rest_shapes`).

Klines of every interval are aggregated from `marts.fct_bars_1m` (bucket start aligned like Binance's:
multiples of the interval since the epoch, weeks from Monday, months by the calendar); aggTrades and
trades come from the raw tables. Times go out in milliseconds (the warehouse stores microseconds).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from binance_assets.binance.rest_shapes import INTERVAL_MS, agg_trade_obj, kline_array, split_symbol, trade_obj

BARS_TABLE = "marts.fct_bars_1m"
AGG_TRADES_TABLE = "raw.spot_agg_trades"
TRADES_TABLE = "raw.spot_trades"
LOAD_LOG = "raw.load_log"
WEEK_OFFSET_MS = 4 * 86_400_000  # 1970-01-01 was a Thursday; Binance's weeks open on Monday 00:00 UTC
EPOCH = dt.datetime(1970, 1, 1)


def ms_to_ts(ms: int) -> dt.datetime:
    return EPOCH + dt.timedelta(milliseconds=ms)


def epoch_ms_sql(engine: str, column: str) -> str:
    if engine == "duckdb":
        return f"epoch_ms({column})"
    return f"(floor(extract(epoch from {column}) * 1000))::bigint"


def _ms(ts: dt.datetime) -> int:
    return (ts - EPOCH) // dt.timedelta(milliseconds=1)


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()


def warehouse_symbols(session) -> list[str]:
    """The symbols the warehouse holds (its publish record, raw.load_log)."""
    return [r["symbol"] for r in _rows(session.query(f"SELECT DISTINCT symbol FROM {LOAD_LOG} ORDER BY symbol"))]


def klines(
    session, engine: str, symbol: str, interval: str, start_ms: int | None, end_ms: int | None, limit: int
) -> list[list]:
    iv = INTERVAL_MS[interval]
    t = epoch_ms_sql(engine, "open_time")
    if iv is None:
        bucket = epoch_ms_sql(engine, "date_trunc('month', open_time)")
    elif interval == "1w":
        bucket = f"({t} - (({t} - {WEEK_OFFSET_MS}) % {iv}))"
    else:
        bucket = f"({t} - ({t} % {iv}))"
    where, params = ["symbol = ?"], list[object]([symbol])
    if start_ms is not None:  # widen by one interval on the raw side; the bucket filter is exact
        where.append("open_time >= ?")
        params.append(ms_to_ts(start_ms - (0 if interval == "1m" else (iv or 31 * 86_400_000))))
    if end_ms is not None:
        where.append("open_time <= ?")
        params.append(ms_to_ts(end_ms))
    outer, outer_params = [], []
    if start_ms is not None:
        outer.append("bucket >= ?")
        outer_params.append(start_ms)
    if end_ms is not None:
        outer.append("bucket <= ?")
        outer_params.append(end_ms)
    newest_first = start_ms is None  # no start: the most recent `limit` klines (up to endTime)
    if interval == "1m":  # the bars themselves: no aggregation
        return _klines_1m(session, engine, where, params, newest_first, limit)
    sql = f"""
        WITH b AS (
            SELECT {bucket} AS bucket, open_time, open, high, low, close, volume, quote_volume, trade_count,
                   taker_buy_base_volume, taker_buy_quote_volume
            FROM {BARS_TABLE} WHERE {" AND ".join(where)}
        )
        SELECT bucket,
               (array_agg(open ORDER BY open_time))[1] AS open, max(high) AS high, min(low) AS low,
               (array_agg(close ORDER BY open_time DESC))[1] AS close, sum(volume) AS volume,
               sum(quote_volume) AS quote_volume, sum(trade_count) AS trades,
               sum(taker_buy_base_volume) AS tbb, sum(taker_buy_quote_volume) AS tbq
        FROM b {"WHERE " + " AND ".join(outer) if outer else ""}
        GROUP BY bucket ORDER BY bucket {"DESC" if newest_first else "ASC"} LIMIT {int(limit)}
    """
    rows = _rows(session.query(sql, params + outer_params))
    if newest_first:
        rows.reverse()
    out = []
    for r in rows:
        open_ms = int(r["bucket"])
        if iv is None:
            start = ms_to_ts(open_ms)
            nxt = dt.datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
            close_ms = _ms(nxt) - 1
        else:
            close_ms = open_ms + iv - 1
        out.append(
            kline_array(
                open_ms, r["open"], r["high"], r["low"], r["close"], r["volume"], close_ms, r["quote_volume"],
                int(r["trades"]), r["tbb"], r["tbq"],
            )
        )
    return out


def _klines_1m(session, engine: str, where: list[str], params: list, newest_first: bool, limit: int) -> list[list]:
    t = epoch_ms_sql(engine, "open_time")
    rows = session.query(
        f"SELECT {t} AS bucket, open, high, low, close, volume, quote_volume, trade_count AS trades, "
        f"taker_buy_base_volume AS tbb, taker_buy_quote_volume AS tbq FROM {BARS_TABLE} "
        f"WHERE {' AND '.join(where)} ORDER BY open_time {'DESC' if newest_first else 'ASC'} LIMIT {int(limit)}",
        params,
    ).to_pylist()
    if newest_first:
        rows.reverse()
    return [
        kline_array(int(r["bucket"]), r["open"], r["high"], r["low"], r["close"], r["volume"],
                    int(r["bucket"]) + 59_999, r["quote_volume"], int(r["trades"]), r["tbb"], r["tbq"])
        for r in rows
    ]


def agg_trades(
    session, symbol: str, from_id: int | None, start_ms: int | None, end_ms: int | None, limit: int
) -> list[dict]:
    where, params = ["symbol = ?"], list[object]([symbol])
    order = "ASC"
    if from_id is not None:
        where.append("agg_trade_id >= ?")
        params.append(from_id)
    if start_ms is not None:
        where.append("trade_time >= ?")
        params.append(ms_to_ts(start_ms))
    if end_ms is not None:
        where.append("trade_time < ?")  # inclusive of the whole endTime millisecond
        params.append(ms_to_ts(end_ms + 1))
    if from_id is None and start_ms is None and end_ms is None:
        order = "DESC"  # the most recent ones
    sql = (
        "SELECT agg_trade_id, price, qty, first_trade_id, last_trade_id, trade_time, is_buyer_maker, is_best_match "
        f"FROM {AGG_TRADES_TABLE} WHERE {' AND '.join(where)} ORDER BY agg_trade_id {order} LIMIT {int(limit)}"
    )
    rows = _rows(session.query(sql, params))
    if order == "DESC":
        rows.reverse()
    return [
        agg_trade_obj(
            r["agg_trade_id"], r["price"], r["qty"], r["first_trade_id"], r["last_trade_id"], _ms(r["trade_time"]),
            r["is_buyer_maker"], True if r["is_best_match"] is None else r["is_best_match"],
        )
        for r in rows
    ]


def trades(session, symbol: str, from_id: int | None, limit: int) -> list[dict]:
    where, params = ["symbol = ?"], list[object]([symbol])
    order = "DESC" if from_id is None else "ASC"
    if from_id is not None:
        where.append("trade_id >= ?")
        params.append(from_id)
    sql = (
        "SELECT trade_id, price, qty, quote_qty, trade_time, is_buyer_maker, is_best_match "
        f"FROM {TRADES_TABLE} WHERE {' AND '.join(where)} ORDER BY trade_id {order} LIMIT {int(limit)}"
    )
    rows = _rows(session.query(sql, params))
    if order == "DESC":
        rows.reverse()
    return [
        trade_obj(
            r["trade_id"], r["price"], r["qty"], r["quote_qty"], _ms(r["trade_time"]), r["is_buyer_maker"],
            True if r["is_best_match"] is None else r["is_best_match"],
        )
        for r in rows
    ]


def symbol_info(symbol: str) -> dict:
    """exchangeInfo's entry for a symbol the warehouse holds (quote asset split off a known suffix)."""
    base, quote = split_symbol(symbol)
    return {
        "symbol": symbol,
        "status": "TRADING",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000",
             "tickSize": "0.01000000"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000", "stepSize": "0.00001000"},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


