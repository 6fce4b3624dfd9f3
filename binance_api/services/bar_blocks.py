"""Klines from the block store (`blocks`): one block per (symbol, UTC day) of `marts.fct_bars_1m`.

1m klines are the bars themselves: their block also holds every bar printed as a kline, and a request
joins the printed rows it needs. Other intervals aggregate the day blocks' bars (`kline_agg`, the same
code as the DuckDB SQL path). A request that would need more than `MAX_DAYS` day blocks (long intervals
over a long history) raises `Fallback` and the SQL path answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from binance_api.services import kline_agg
from binance_api.services.blocks import BlockStore, Fallback, Printed, arrays_nbytes, body
from binance_assets.binance import rest_bulk
from binance_assets.binance.rest_shapes import INTERVAL_MS
from binance_assets.warehouse.table_names import BARS_1M_TABLE

DAY_MS = 86_400_000
MAX_DAYS = 64
DAYS_SQL = (f"SELECT DISTINCT epoch_ms(open_time) // {DAY_MS} AS day FROM {BARS_1M_TABLE} "
            "WHERE symbol = ? ORDER BY day")


@dataclass(frozen=True)
class Days:
    days: np.ndarray  # the UTC days (since the epoch) that hold a bar of the symbol, ascending

    @property
    def nbytes(self) -> int:
        return self.days.nbytes


@dataclass(frozen=True)
class Bars:
    bars: dict[str, np.ndarray]  # kline_agg.columns of the day, time order

    @property
    def nbytes(self) -> int:
        return arrays_nbytes(*self.bars.values())


@dataclass(frozen=True)
class Printed1m:
    open_ms: np.ndarray
    rows: Printed

    @property
    def nbytes(self) -> int:
        return self.open_ms.nbytes + self.rows.nbytes


def _days(store: BlockStore, session, symbol: str) -> np.ndarray:
    def load() -> Days:
        return Days(session.query(DAYS_SQL, [symbol]).column("day").to_numpy().astype(np.int64))

    return store.get(session.version, "days", symbol, load).days


def _bars(store: BlockStore, session, symbol: str, day: int) -> dict[str, np.ndarray]:
    def load() -> Bars:
        try:
            return Bars(kline_agg.fetch_bars(session, symbol, day * DAY_MS, (day + 1) * DAY_MS))
        except kline_agg.NullBars:
            raise Fallback("null in a bar") from None

    return store.get(session.version, "bars", (symbol, day), load).bars


def _printed_1m(store: BlockStore, session, symbol: str, day: int) -> Printed1m:
    def load() -> Printed1m:
        b = _bars(store, session, symbol, day)
        t = b["open_ms"]
        a = pa.array
        rows = rest_bulk.klines_rows(
            a(t), a(b["open"]), a(b["high"]), a(b["low"]), a(b["close"]), a(b["volume"]), a(t + 59_999),
            a(b["quote_volume"]), a(b["trade_count"]), a(b["taker_buy_base_volume"]), a(b["taker_buy_quote_volume"]),
        )
        return Printed1m(t, Printed.of(rows))

    return store.get(session.version, "kl1m", (symbol, day), load)


def _bounds(t: np.ndarray, start_ms: int | None, end_ms: int | None) -> tuple[int, int]:
    i = int(np.searchsorted(t, start_ms, "left")) if start_ms is not None else 0
    j = int(np.searchsorted(t, end_ms, "right")) if end_ms is not None else len(t)
    return i, j


def klines_json(store: BlockStore, session, symbol: str, interval: str, start_ms: int | None, end_ms: int | None,
                limit: int, tz_ms: int = 0) -> bytes:
    """The `/api/v3/klines` body, as `market_data.klines_json` computes it (DuckDB; `tz_ms`: the timeZone's
    offset, a whole number of minutes: 1m klines are the bars whatever it is)."""
    newest_first = start_ms is None
    # The bars up to the end of endTime's kline: a kline is selected by its open time and served whole.
    last_ms = kline_agg.window_end(end_ms, interval, tz_ms) - 1 if end_ms is not None else None
    days = _days(store, session, symbol)
    if start_ms is not None:
        days = days[days >= start_ms // DAY_MS]
    if last_ms is not None:
        days = days[days <= last_ms // DAY_MS]
    span = kline_agg.span_ms(interval)
    if min(len(days), -(-limit * span // DAY_MS) + 1) > MAX_DAYS:
        raise Fallback("too many days")
    if newest_first:
        days = days[::-1]
    if interval == "1m":
        return _klines_1m(store, session, symbol, days, start_ms, last_ms, limit, newest_first)
    iv = INTERVAL_MS[interval]
    within_days = iv is not None and DAY_MS % iv == 0 and tz_ms % iv == 0  # no bucket spans two UTC days
    pieces: list[dict[str, np.ndarray]] = []
    count, edge = 0, None  # buckets in [start, end] so far; the bucket last seen (may continue across days)
    for n, day in enumerate(days):
        if n >= MAX_DAYS:
            raise Fallback("too many days")
        bars = _bars(store, session, symbol, int(day))
        i, j = _bounds(bars["open_ms"], start_ms, last_ms)
        if j <= i:
            continue
        piece = {k: v[i:j] for k, v in bars.items()}
        pieces.append(piece)
        b = kline_agg.buckets(piece["open_ms"], interval, tz_ms)
        if start_ms is not None:
            b = b[b >= start_ms]
        if end_ms is not None:
            b = b[b <= end_ms]
        if len(b):
            distinct = np.unique(b)
            count += len(distinct) - int(edge is not None and edge in (distinct[0], distinct[-1]))
            edge = distinct[0] if newest_first else distinct[-1]
        if count > limit or (within_days and count >= limit):
            break
    if newest_first:
        pieces.reverse()
    if not pieces:
        return b"[]"
    bars = {k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]}
    klines, _ = kline_agg.aggregate(bars, interval, start_ms, end_ms, limit, newest_first, tz_ms)
    return kline_agg.body(klines, interval, tz_ms)


def _klines_1m(store: BlockStore, session, symbol: str, days: np.ndarray, start_ms: int | None,
               end_ms: int | None, limit: int, newest_first: bool) -> bytes:
    parts: list[bytes] = []
    count = 0
    for n, day in enumerate(days):
        if n >= MAX_DAYS:
            raise Fallback("too many days")
        block = _printed_1m(store, session, symbol, int(day))
        i, j = _bounds(block.open_ms, start_ms, end_ms)
        if newest_first:
            i = max(i, j - (limit - count))
        else:
            j = min(j, i + (limit - count))
        if j > i:
            parts.append(block.rows.part(i, j))
            count += j - i
        if count >= limit:
            break
    if newest_first:
        parts.reverse()
    return body(parts)
