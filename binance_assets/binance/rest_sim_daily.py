"""Daily views of a simulated day for the REST simulator: its 1d candle and its 24 h MINI ticker.

Both are computed exactly (integer units of 1e-8) from the day's 1m klines, i.e. from its trades: the 1d
candle opens at the first 1m open, closes at the last 1m close, and sums the volumes and counts. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .rest_shapes import kline_array, ticker_mini_obj
from .sim_day import RawDay


def units(value: int) -> Decimal:
    """An amount in units of 1e-8 as an exact Decimal."""
    return Decimal(int(value)).scaleb(-8)


@dataclass(frozen=True)
class DailyCandle:
    """One UTC day of one symbol; times in µs, amounts in units of 1e-8."""

    open_us: int
    close_us: int  # the day's last µs
    open: int
    high: int
    low: int
    close: int
    volume: int
    quote_volume: int
    trades: int
    taker_buy_base: int
    taker_buy_quote: int
    first_id: int
    last_id: int


def daily_candle(raw: RawDay) -> DailyCandle:
    k = raw.klines
    factor = 1000 if raw.unit == "ms" else 1
    open_us = raw.day_start * factor
    return DailyCandle(
        open_us=open_us,
        close_us=open_us + 86_400_000_000 - 1,
        open=int(k["open"][0]),
        high=int(k["high"].max()),
        low=int(k["low"].min()),
        close=int(k["close"][-1]),
        volume=int(k["volume"].sum()),
        quote_volume=int(k["quote_volume"].sum()),
        trades=int(k["trade_count"].sum()),
        taker_buy_base=int(k["taker_buy_base_volume"].sum()),
        taker_buy_quote=int(k["taker_buy_quote_volume"].sum()),
        first_id=int(raw.trade_id[0]),
        last_id=int(raw.trade_id[-1]),
    )


def kline_1d(candle: DailyCandle, micros: bool) -> list:
    """The candle as a `/api/v3/klines?interval=1d` row (times in µs or ms; closeTime the day's last unit)."""
    step = 1 if micros else 1000
    return kline_array(
        candle.open_us // step, units(candle.open), units(candle.high), units(candle.low), units(candle.close),
        units(candle.volume), (candle.close_us + 1) // step - 1, units(candle.quote_volume), candle.trades,
        units(candle.taker_buy_base), units(candle.taker_buy_quote),
    )  # fmt: skip


def ticker_mini(symbol: str, candle: DailyCandle, window_us: tuple[int, int], traded: bool, micros: bool) -> dict:
    """The symbol's MINI 24 h ticker over `window_us` (the simulated last day): its candle if it traded that
    day; else (delisted) no trade: its last price, zero volumes, first and last id -1, count 0."""
    step = 1 if micros else 1000
    open_time, close_time = window_us[0] // step, (window_us[1] + 1) // step - 1
    if traded:
        return ticker_mini_obj(
            symbol, units(candle.open), units(candle.high), units(candle.low), units(candle.close),
            units(candle.volume), units(candle.quote_volume), open_time, close_time, candle.first_id,
            candle.last_id, candle.trades,
        )  # fmt: skip
    last = units(candle.close)
    return ticker_mini_obj(symbol, last, last, last, last, 0, 0, open_time, close_time, -1, -1, 0)
