"""The row rules of the raw models that are not pandera built-ins, written once, on Arrow arrays.

No Dagster, no pandas here. Each rule has the name of its pandera check: the models (`schemas.py`) declare
them as dataframe checks that call the rule on the frame's columns, and the Arrow audit (`arrow_audit.py`)
calls the same function on the Arrow columns of a partition. A rule takes its `columns` (Arrow arrays, or
scalars for the constant partition columns) and returns a boolean array, True where the row passes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from binance_assets.binance.intervals import close_times, kline_interval

ONE_DAY_US = 86_400_000_000
Values = pa.Array | pa.ChunkedArray | pa.Scalar


@dataclass(frozen=True)
class RowRule:
    """A row rule: `fn(*columns)` is True where a row passes."""

    name: str
    columns: tuple[str, ...]
    fn: Callable[..., Any]

    def evaluate(self, *values: Values) -> pa.Array | pa.ChunkedArray:
        """The rule on `values` (one per column); a NULL result passes (nulls are `not_nullable`'s business)."""
        result = self.fn(*values)
        return pc.fill_null(result, True)


def micros(values: Values) -> Values:
    """int64 microseconds since the epoch of timestamps (any unit) or dates (their midnight)."""
    if isinstance(values, pa.Scalar):
        value = values.as_py()
        if value is None:
            return pa.scalar(None, pa.int64())
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        value = value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)
        return pa.scalar((value - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1), pa.int64())
    if pa.types.is_date(values.type):
        values = pc.cast(values, pa.date32())
        return pc.multiply(pc.cast(pc.cast(values, pa.int32()), pa.int64()), ONE_DAY_US)
    # ns -> us floors: the bounds compared against are whole microseconds, so the comparisons are exact.
    return pc.cast(pc.cast(values, pa.timestamp("us", tz=values.type.tz), safe=False), pa.int64())


def inside_day(times: Values, days: Values) -> Values:
    """The time lies in [the day's midnight, the next midnight) UTC."""
    start = micros(days)
    times = micros(times)
    return pc.and_(pc.greater_equal(times, start), pc.less(times, pc.add(start, ONE_DAY_US)))


def quote_is_price_times_qty(price: Values, qty: Values, quote: Values) -> Values:
    expected = pc.multiply(price, qty)
    tolerance = pc.add(pc.multiply(pc.abs(expected), 1e-6), 1e-8)
    return pc.less_equal(pc.abs(pc.subtract(quote, expected)), tolerance)


def first_not_after_last(first: Values, last: Values) -> Values:
    return pc.less_equal(first, last)


def ohlc_order(open_: Values, high: Values, low: Values, close: Values) -> Values:
    low_ok = pc.and_(pc.less_equal(low, open_), pc.less_equal(low, close))
    high_ok = pc.and_(pc.less_equal(open_, high), pc.less_equal(close, high))
    return pc.and_(low_ok, high_ok)


def taker_within_volume(taker: Values, volume: Values) -> Values:
    return pc.less_equal(taker, pc.multiply(volume, 1 + 1e-9))


def close_time_rule(interval: str) -> RowRule:
    """close_time is the last millisecond (millisecond archives) or microsecond (microsecond archives) of the
    `interval` kline that opens at open_time: `binance.intervals.close_times`."""
    interval = kline_interval(interval)

    def ends_its_kline(opens: Values, closes: Values) -> pa.Array:
        open_us = _numpy(micros(opens))
        close_us = _numpy(micros(closes))
        last_us = close_times(open_us, interval, "us")
        return pa.array((close_us == last_us) | (close_us == last_us + 1 - 1000))

    name = f"close_time is the last instant of its {interval} kline"
    return RowRule(name, ("open_time", "close_time"), ends_its_kline)


def _numpy(values: Values) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.to_numpy(zero_copy_only=False)


TRADE_TIME_INSIDE_DAY = RowRule("trade_time_inside_partition_day", ("trade_time", "trade_date"), inside_day)
OPEN_TIME_INSIDE_DAY = RowRule("open_time inside the partition's UTC day", ("open_time", "trade_date"), inside_day)
QUOTE_IS_PRICE_TIMES_QTY = RowRule(
    "quote_qty = price * qty (to 1e-6 relative)", ("price", "qty", "quote_qty"), quote_is_price_times_qty
)
TRADE_ID_RANGE = RowRule("first_trade_id <= last_trade_id", ("first_trade_id", "last_trade_id"), first_not_after_last)
OHLC_ORDER = RowRule("low <= open, close <= high", ("open", "high", "low", "close"), ohlc_order)
TAKER_WITHIN_VOLUME = RowRule("taker buy volume <= volume", ("taker_buy_base_volume", "volume"), taker_within_volume)

# By pandera check name (the close-time rule is made per interval: `close_time_rule`).
ROW_RULES: dict[str, RowRule] = {
    rule.name: rule
    for rule in (
        TRADE_TIME_INSIDE_DAY,
        OPEN_TIME_INSIDE_DAY,
        QUOTE_IS_PRICE_TIMES_QTY,
        TRADE_ID_RANGE,
        OHLC_ORDER,
        TAKER_WITHIN_VOLUME,
    )
}

__all__ = ["ROW_RULES", "RowRule", "close_time_rule", "inside_day", "micros"]
