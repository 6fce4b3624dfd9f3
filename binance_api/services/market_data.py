"""Queries behind the Binance-compatible paths, in Binance's shapes (see `binance_assets.binance.rest_shapes`).

Klines of every interval are aggregated from `marts.fct_bars_1m` (bucket start aligned like Binance's:
multiples of the interval since the epoch, weeks from Monday, months by the calendar); aggTrades and
trades come from the raw tables. Times go out in milliseconds (the warehouse stores microseconds).
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa

from binance_api.services import agg_trade_blocks, bar_blocks, kline_agg
from binance_api.services.arrow_time import ms_column
from binance_api.services.blocks import BlockStore, Fallback
from binance_assets.binance import rest_bulk
from binance_assets.binance.rest_shapes import INTERVAL_MS
from binance_assets.warehouse.table_names import BARS_1M_TABLE
from binance_assets.warehouse.tables import SPOT_AGG_TRADES, SPOT_TRADES

WEEK_OFFSET_MS = 4 * 86_400_000  # 1970-01-01 was a Thursday; Binance's weeks open on Monday 00:00 UTC
EPOCH = dt.datetime(1970, 1, 1)


def ms_to_ts(ms: int) -> dt.datetime:
    return EPOCH + dt.timedelta(milliseconds=ms)


def epoch_ms_sql(engine: str, column: str) -> str:
    if engine == "duckdb":
        return f"epoch_ms({column})"
    return f"(floor(extract(epoch from {column}) * 1000))::bigint"


def klines(
    session, engine: str, symbol: str, interval: str, start_ms: int | None, end_ms: int | None, limit: int,
    tz_ms: int = 0,
) -> list[list]:
    """The klines as `rest_shapes.kline_array` rows (the body of `klines_json`, parsed)."""
    return json.loads(klines_json(session, engine, symbol, interval, start_ms, end_ms, limit, tz_ms=tz_ms))


def klines_json(
    session, engine: str, symbol: str, interval: str, start_ms: int | None, end_ms: int | None, limit: int,
    blocks: BlockStore | None = None, tz_ms: int = 0,
) -> bytes:
    """The `/api/v3/klines` body (compact JSON, built column-wise: `rest_bulk.klines_body`). DuckDB: from
    the block store when given (`bar_blocks`), else SQL; intervals above 1m aggregate in NumPy
    (`kline_agg`) either way. PostgreSQL aggregates in SQL. `tz_ms`: the timeZone's offset from UTC (ms,
    whole minutes), on whose wall clock the intervals open."""
    if engine == "duckdb":
        try:
            if blocks is not None:
                return bar_blocks.klines_json(blocks, session, symbol, interval, start_ms, end_ms, limit, tz_ms)
            if interval != "1m":
                return kline_agg.sql_klines(session, symbol, interval, start_ms, end_ms, limit, tz_ms)
        except (Fallback, kline_agg.NullBars):
            if interval != "1m":
                try:
                    return kline_agg.sql_klines(session, symbol, interval, start_ms, end_ms, limit, tz_ms)
                except kline_agg.NullBars:
                    pass
    return sql_klines_json(session, engine, symbol, interval, start_ms, end_ms, limit, tz_ms)


def sql_klines_json(
    session, engine: str, symbol: str, interval: str, start_ms: int | None, end_ms: int | None, limit: int,
    tz_ms: int = 0, bars_table: str = BARS_1M_TABLE,
) -> bytes:
    """Klines by one SQL query (the bars as they are for 1m; aggregated in SQL otherwise: PostgreSQL, and
    DuckDB bars with nulls), from `bars_table` (the spot bars; USD-M futures: `marts.fct_um_bars_1m`)."""
    iv = INTERVAL_MS[interval]
    t = epoch_ms_sql(engine, "open_time")
    tz = int(tz_ms)
    if iv is None:  # the calendar month on the time zone's wall clock, back to UTC
        month = f"date_trunc('month', open_time + INTERVAL '{tz // 60_000} minutes')"
        bucket = f"({epoch_ms_sql(engine, month)} - {tz})"
    elif interval == "1w":
        bucket = f"({t} - (({t} + {tz - WEEK_OFFSET_MS}) % {iv}))"
    else:
        bucket = f"({t} - (({t} + {tz}) % {iv}))"
    where, params = ["symbol = ?"], list[object]([symbol])
    if start_ms is not None:  # widen by one interval on the raw side; the bucket filter is exact
        where.append("open_time >= ?")
        params.append(ms_to_ts(start_ms - (0 if interval == "1m" else (iv or 31 * 86_400_000))))
    if end_ms is not None:  # to the end of endTime's kline: klines are selected by open time and served whole
        where.append("open_time < ?")
        params.append(ms_to_ts(kline_agg.window_end(end_ms, interval, tz_ms)))
    outer, outer_params = [], []
    if start_ms is not None:
        outer.append("bucket >= ?")
        outer_params.append(start_ms)
    if end_ms is not None:
        outer.append("bucket <= ?")
        outer_params.append(end_ms)
    newest_first = start_ms is None  # no start: the most recent `limit` klines (up to endTime)
    if interval == "1m":  # the bars themselves: no aggregation
        sql = (  # open_time itself (to ms after the LIMIT, below): no per-row expression over the whole range
            f"SELECT open_time AS bucket, open, high, low, close, volume, quote_volume, trade_count AS trades, "
            f"taker_buy_base_volume AS tbb, taker_buy_quote_volume AS tbq FROM {bars_table} "
            f"WHERE {' AND '.join(where)} ORDER BY open_time {'DESC' if newest_first else 'ASC'} LIMIT {int(limit)}"
        )
        outer_params = []
    else:
        sql = f"""
            WITH b AS (
                SELECT {bucket} AS bucket, open_time, open, high, low, close, volume, quote_volume, trade_count,
                       taker_buy_base_volume, taker_buy_quote_volume
                FROM {bars_table} WHERE {" AND ".join(where)}
            )
            SELECT bucket,
                   (array_agg(open ORDER BY open_time))[1] AS open, max(high) AS high, min(low) AS low,
                   (array_agg(close ORDER BY open_time DESC))[1] AS close, sum(volume) AS volume,
                   sum(quote_volume) AS quote_volume, sum(trade_count) AS trades,
                   sum(taker_buy_base_volume) AS tbb, sum(taker_buy_quote_volume) AS tbq
            FROM b {"WHERE " + " AND ".join(outer) if outer else ""}
            GROUP BY bucket ORDER BY bucket {"DESC" if newest_first else "ASC"} LIMIT {int(limit)}
        """
    table = None
    if interval == "1m" and start_ms is not None:
        # One bar per minute: the first `limit` bars from startTime lie in [start, start + limit minutes) unless
        # bars are missing; try that range first (the scan then reads `limit` rows, not every later bar) and
        # fall back to the open range when it holds fewer (same answer either way: a subset's first rows).
        bounded = sql.replace(" ORDER BY open_time", " AND open_time < ? ORDER BY open_time", 1)
        table = session.query(bounded, [*params, ms_to_ts(start_ms + int(limit) * 60_000)])
        if table.num_rows < limit:
            table = None
    if table is None:
        table = session.query(sql, params + outer_params)
    if newest_first:
        table = table.take(np.arange(table.num_rows - 1, -1, -1))
    bucket_col = table.column("bucket")
    if pa.types.is_timestamp(bucket_col.type):
        open_ms = ms_column(bucket_col).to_numpy()
    else:
        open_ms = bucket_col.cast(pa.int64()).to_numpy()
    close_ms = kline_agg.close_times(open_ms, interval, tz_offset=tz_ms)
    c = table.column
    return rest_bulk.klines_body(
        pa.array(open_ms), c("open"), c("high"), c("low"), c("close"), c("volume"), pa.array(close_ms),
        c("quote_volume"), c("trades"), c("tbb"), c("tbq"),
    )


def agg_trades(
    session, symbol: str, from_id: int | None, start_ms: int | None, end_ms: int | None, limit: int
) -> list[dict]:
    return json.loads(agg_trades_json(session, symbol, from_id, start_ms, end_ms, limit))


def agg_trades_json(
    session, symbol: str, from_id: int | None, start_ms: int | None, end_ms: int | None, limit: int,
    blocks: BlockStore | None = None,
) -> bytes:
    """The `/api/v3/aggTrades` body: from the block store when given (DuckDB: `agg_trade_blocks`), else SQL."""
    if blocks is not None:
        try:
            return agg_trade_blocks.agg_trades_json(blocks, session, symbol, from_id, start_ms, end_ms, limit)
        except Fallback:
            pass
    return sql_agg_trades_json(session, symbol, from_id, start_ms, end_ms, limit)


def sql_agg_trades_json(
    session, symbol: str, from_id: int | None, start_ms: int | None, end_ms: int | None, limit: int,
    agg_table: str = SPOT_AGG_TRADES.qualified_name,
) -> bytes:
    """The `/api/v3/aggTrades` body (from `agg_table`: USD-M futures pass theirs): the first `limit` trades by id
    from fromId / startTime (up to endTime),
    else the last `limit` (up to endTime; Binance: "When using endTime only, this will return trades before
    that time, up to the limit provided"), in id order. With `fromId` the ids are first looked for in
    [fromId, fromId + 2 x limit) (the ids of a symbol are consecutive, so that range normally holds the answer
    and the scan touches one row group instead of every later trade); fewer than `limit` rows there means
    gaps, and the unbounded query answers. Either way the answer is the first `limit` ids >= fromId that
    pass the filters."""
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
    if from_id is None and start_ms is None:
        order = "DESC"  # the most recent ones (up to endTime when sent alone)

    def run(extra: list[str], extra_params: list) -> pa.Table:
        return session.query(
            "SELECT agg_trade_id, price, qty, first_trade_id, last_trade_id, trade_time, is_buyer_maker, "
            f"is_best_match FROM {agg_table} WHERE {' AND '.join(where + extra)} "
            f"ORDER BY agg_trade_id {order} LIMIT {int(limit)}",
            params + extra_params,
        )

    table = None
    if from_id is not None:
        table = run(["agg_trade_id < ?"], [from_id + 2 * int(limit)])
        if table.num_rows < limit:
            table = None
    if table is None:
        table = run([], [])
    if order == "DESC":
        table = table.take(np.arange(table.num_rows - 1, -1, -1))
    c = table.column
    return rest_bulk.agg_trades_body(
        c("agg_trade_id"), c("price"), c("qty"), c("first_trade_id"), c("last_trade_id"),
        ms_column(c("trade_time")), c("is_buyer_maker"), c("is_best_match"),
    )


def trades(session, symbol: str, from_id: int | None, limit: int) -> list[dict]:
    return json.loads(trades_json(session, symbol, from_id, limit))


def trades_json(session, symbol: str, from_id: int | None, limit: int) -> bytes:
    """The `/api/v3/trades` / `historicalTrades` body."""
    where, params = ["symbol = ?"], list[object]([symbol])
    order = "DESC" if from_id is None else "ASC"
    if from_id is not None:
        where.append("trade_id >= ?")
        params.append(from_id)
    sql = (
        "SELECT trade_id, price, qty, quote_qty, trade_time, is_buyer_maker, is_best_match "
        f"FROM {SPOT_TRADES.qualified_name} WHERE {' AND '.join(where)} ORDER BY trade_id {order} LIMIT {int(limit)}"
    )
    table = session.query(sql, params)
    if order == "DESC":
        table = table.take(np.arange(table.num_rows - 1, -1, -1))
    c = table.column
    return rest_bulk.trades_body(
        c("trade_id"), c("price"), c("qty"), c("quote_qty"), ms_column(c("trade_time")), c("is_buyer_maker"),
        c("is_best_match"),
    )
