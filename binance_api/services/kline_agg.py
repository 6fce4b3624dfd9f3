"""Klines of any interval from 1m bars, in NumPy: Binance's bucket alignment (multiples of the interval since
the epoch, weeks from Monday 00:00, calendar months; in UTC, or in the request's `timeZone`: `tz_ms`, the
offset from UTC in ms), open of the first bar, close of the last, high and low, sums of volumes and trade
counts.

Both DuckDB paths aggregate here, the block store's (`bar_blocks`) and the SQL one (`sql_klines`, which
only fetches the bars): a bucket's sums are computed from the same values in the same order either way,
so both give the same bytes. (DuckDB's own `sum(DOUBLE)` is not reproducible from one query plan to
another: the same day's quote volume came out with different last bits from two different queries.)
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from binance_assets.binance import rest_bulk
from binance_assets.binance.intervals import close_times
from binance_assets.binance.rest_shapes import INTERVAL_MS
from binance_assets.warehouse.table_names import BARS_1M_TABLE

WEEK_OFFSET_MS = 4 * 86_400_000  # 1970-01-01 was a Thursday; Binance's weeks open on Monday 00:00 UTC
MONTH_SPAN_MS = 31 * 86_400_000
NEVER_MS = 10**14  # year 5138: an open bound in SQL
VALUES = ["open", "high", "low", "close", "volume", "quote_volume", "trade_count", "taker_buy_base_volume",
          "taker_buy_quote_volume"]
SUMS = ["volume", "quote_volume", "trade_count", "taker_buy_base_volume", "taker_buy_quote_volume"]
BARS_SQL = (f"SELECT epoch_ms(open_time) AS open_ms, {', '.join(VALUES)} FROM {BARS_1M_TABLE} "
            "WHERE symbol = ? AND open_time >= make_timestamp(?::BIGINT * 1000) "
            "AND open_time < make_timestamp(?::BIGINT * 1000) ORDER BY open_time")


class NullBars(Exception):
    """A bar with a null value: the SQL aggregation's null rules apply (the caller falls back to it)."""


def span_ms(interval: str) -> int:
    """The longest a bucket of the interval lasts."""
    return INTERVAL_MS[interval] or MONTH_SPAN_MS


def buckets(open_ms: np.ndarray, interval: str, tz_ms: int = 0) -> np.ndarray:
    """The open time (UTC ms) of the kline holding each time: the interval's boundaries on the wall clock of
    the time zone `tz_ms` (Binance: "kline intervals are interpreted in that timezone")."""
    iv = INTERVAL_MS[interval]
    local = open_ms + tz_ms
    if iv is None:
        months = local.astype("datetime64[ms]").astype("datetime64[M]")
        return months.astype("datetime64[ms]").astype(np.int64) - tz_ms
    if interval == "1w":
        return open_ms - (local - WEEK_OFFSET_MS) % iv
    return open_ms - local % iv


def columns(table: pa.Table) -> dict[str, np.ndarray]:
    """The bars of an Arrow table (`open_ms` and `VALUES`) as NumPy arrays; nulls raise `NullBars`."""
    out = {}
    for name in ["open_ms", *VALUES]:
        col = table.column(name)
        if col.null_count:
            raise NullBars(name)
        out[name] = col.to_numpy()
    return out


def aggregate(bars: dict[str, np.ndarray], interval: str, start_ms: int | None, end_ms: int | None, limit: int,
              newest_first: bool, tz_ms: int = 0) -> tuple[dict[str, np.ndarray], int]:
    """The klines of `bars` (time order) whose bucket lies in [start, end], the first `limit` of them (the
    last `limit` when `newest_first`), and how many buckets lay in [start, end] before the limit."""
    t = bars["open_ms"]
    if len(t) == 0:
        return {"bucket": t, **{k: bars[k] for k in VALUES}}, 0
    b = buckets(t, interval, tz_ms)
    first = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    last = np.r_[first[1:], len(t)] - 1
    keep = np.ones(len(first), dtype=bool)
    if start_ms is not None:
        keep &= b[first] >= start_ms
    if end_ms is not None:
        keep &= b[first] <= end_ms
    sel = np.flatnonzero(keep)
    kept = len(sel)
    sel = sel[-limit:] if newest_first else sel[:limit]
    out = {"bucket": b[first[sel]], "open": bars["open"][first[sel]], "close": bars["close"][last[sel]]}
    if len(sel) == 0:
        return {**out, **{k: bars[k][:0] for k in ("high", "low", *SUMS)}}, kept
    lo, hi = first[sel[0]], last[sel[-1]] + 1  # reduce over the selected buckets' bars only
    starts = first[sel] - lo
    out["high"] = np.maximum.reduceat(bars["high"][lo:hi], starts)
    out["low"] = np.minimum.reduceat(bars["low"][lo:hi], starts)
    for k in SUMS:
        out[k] = np.add.reduceat(bars[k][lo:hi], starts)
    return out, kept


def window_end(end_ms: int, interval: str, tz_ms: int = 0) -> int:
    """The first millisecond after the kline whose open time is the last one <= `end_ms`: the bars before it
    make up every kline an `endTime` selects, whole (Binance selects klines by open time, so the kline that
    holds `endTime` is served with all of its trades, not cut at `endTime`)."""
    opens = buckets(np.array([end_ms], dtype=np.int64), interval, tz_ms)
    return int(close_times(opens, interval, tz_offset=tz_ms)[0]) + 1


def body(klines: dict[str, np.ndarray], interval: str, tz_ms: int = 0) -> bytes:
    open_ms = klines["bucket"]
    close_ms = close_times(open_ms, interval, tz_offset=tz_ms)
    a = pa.array
    return rest_bulk.klines_body(
        a(open_ms), a(klines["open"]), a(klines["high"]), a(klines["low"]), a(klines["close"]),
        a(klines["volume"]), a(close_ms), a(klines["quote_volume"]), a(klines["trade_count"]),
        a(klines["taker_buy_base_volume"]), a(klines["taker_buy_quote_volume"]),
    )


def fetch_bars(session, symbol: str, lo_ms: int, hi_ms: int) -> dict[str, np.ndarray]:
    """The symbol's bars with open_time in [lo, hi) (DuckDB), time order."""
    return columns(session.query(BARS_SQL, [symbol, lo_ms, hi_ms]))


def sql_klines(session, symbol: str, interval: str, start_ms: int | None, end_ms: int | None, limit: int,
               tz_ms: int = 0) -> bytes:
    """Klines of an interval above 1m from DuckDB: the bars over a window the answer normally lies in
    (`limit + 1` buckets' reach from startTime, or back from the end of endTime's kline / the last bar),
    aggregated here. The
    window's edge may cut a bucket, so it answers only when it holds more than `limit` buckets (the cut one
    is then never among those served); otherwise (gaps, the data's end) the open range answers."""
    newest_first = start_ms is None
    hi = window_end(end_ms, interval, tz_ms) if end_ms is not None else NEVER_MS
    if newest_first and end_ms is None:
        row = session.query(f"SELECT epoch_ms(max(open_time)) AS t FROM {BARS_1M_TABLE} WHERE symbol = ?", [symbol])
        last = row.column("t")[0].as_py()
        if last is None:
            return b"[]"
        hi = last + 1
    reach = (limit + 1) * span_ms(interval)
    lo = -NEVER_MS if start_ms is None else start_ms
    window = (hi - reach, hi) if newest_first else (lo, min(hi, lo + reach))
    if window != (lo, hi):
        klines, kept = aggregate(fetch_bars(session, symbol, *window), interval, start_ms, end_ms, limit,
                                 newest_first, tz_ms)
        if kept > limit:
            return body(klines, interval, tz_ms)
    klines, _ = aggregate(fetch_bars(session, symbol, lo, hi), interval, start_ms, end_ms, limit, newest_first,
                          tz_ms)
    return body(klines, interval, tz_ms)
