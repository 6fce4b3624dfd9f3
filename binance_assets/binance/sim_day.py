"""One simulated day as exact integers: trades, aggTrades and 1m klines (numpy, vectorised).

Prices are in ticks and quantities in steps; every amount is then expressed in units of 1e-8 (the
8 decimals of Binance's files), so sums are exact and formatting is integer arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .sim_calendar import MICROS_FROM, calendar, day_index, symbol_key, symbol_params

SCALE = 10**8  # one unit = 1e-8
MINUTES = 1440


@dataclass
class RawDay:
    """Integer arrays of one day; times are offsets from `day_start` in the file's unit."""

    symbol: str
    day: date
    unit: str  # "ms" | "us"
    day_start: int  # the day's midnight in `unit` since 1970
    trade_id: np.ndarray
    price: np.ndarray  # units
    qty: np.ndarray  # units
    quote: np.ndarray  # units, == price * qty exactly
    time: np.ndarray
    buyer_maker: np.ndarray
    agg_id: np.ndarray
    agg_price: np.ndarray
    agg_qty: np.ndarray
    agg_first: np.ndarray
    agg_last: np.ndarray
    agg_time: np.ndarray
    agg_buyer_maker: np.ndarray
    klines: dict[str, np.ndarray]

    @property
    def per_second(self) -> int:
        return 1000 if self.unit == "ms" else 1_000_000


def _split_counts(rng: np.random.Generator, total: int, parts: int, sigma: float) -> np.ndarray:
    """`parts` positive ints summing to `total`, heavy-tailed (lognormal weights)."""
    weights = np.cumsum(rng.lognormal(0.0, sigma, parts))
    extra = np.searchsorted(weights, rng.random(total - parts) * weights[-1], side="right")
    return 1 + np.bincount(np.minimum(extra, parts - 1), minlength=parts)


def _levels_per_order(rng: np.random.Generator, groups: int) -> np.ndarray:
    """Price levels each taker order walks (mostly 1), summing exactly to `groups`."""
    levels = rng.geometric(0.75, groups)
    total = np.cumsum(levels)
    orders = int(np.searchsorted(total, groups)) + 1
    levels = levels[:orders].copy()
    levels[-1] -= int(total[orders - 1]) - groups
    return levels


def _order_times(rng: np.random.Generator, orders: int, day_units: int) -> np.ndarray:
    """Strictly increasing offsets in [0, day_units), clustered (lognormal gaps)."""
    weights = rng.lognormal(0.0, 1.0, orders)
    room = day_units - orders
    gaps = 1 + np.floor(weights * (room / weights.sum())).astype(np.int64)
    return np.cumsum(gaps) - 1


def _bridge(rng: np.random.Generator, t: np.ndarray, start: int, end: int) -> np.ndarray:
    """Brownian bridge in ticks from `start` at t=0 to `end` at t=1 (intraday vol ~2%)."""
    dt = np.diff(t, prepend=0.0)
    walk = np.cumsum(np.sqrt(dt) * rng.standard_normal(len(t)))
    walk_end = walk[-1] + np.sqrt(max(1.0 - t[-1], 0.0)) * rng.standard_normal()
    return start + (end - start) * t + 0.02 * start * (walk - t * walk_end)


def _klines(day: RawDay, per_minute: int) -> dict[str, np.ndarray]:
    """1440 one-minute bars computed exactly from the trades."""
    minute = day.time // per_minute
    counts = np.bincount(minute, minlength=MINUTES)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    full = counts > 0
    seg = starts[full]
    last = seg + counts[full] - 1
    taker_buy = ~day.buyer_maker

    def sums(values: np.ndarray) -> np.ndarray:
        out = np.zeros(MINUTES, dtype=np.int64)
        out[full] = np.add.reduceat(values, seg)
        return out

    close = np.zeros(MINUTES, dtype=np.int64)
    close[full] = day.price[last]
    # empty minutes repeat the previous close (the day's first price before any trade)
    filled_from = np.maximum.accumulate(np.where(full, np.arange(MINUTES), -1))
    close = np.where(filled_from >= 0, close[np.maximum(filled_from, 0)], day.price[0])
    open_, high, low = close.copy(), close.copy(), close.copy()
    open_[full] = day.price[seg]
    high[full] = np.maximum.reduceat(day.price, seg)
    low[full] = np.minimum.reduceat(day.price, seg)
    open_time = day.day_start + np.arange(MINUTES, dtype=np.int64) * per_minute
    return {
        "open_time": open_time,
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": sums(day.qty),
        "close_time": open_time + per_minute - 1,
        "quote_volume": sums(day.quote),
        "trade_count": counts.astype(np.int64),
        "taker_buy_base_volume": sums(np.where(taker_buy, day.qty, 0)),
        "taker_buy_quote_volume": sums(np.where(taker_buy, day.quote, 0)),
    }


def generate_day(symbol: str, day: date, seed: int, trades_per_day: int) -> RawDay:
    """Deterministic from (seed, symbol, day, trades_per_day); joins the neighbouring days."""
    d = day_index(day)
    cal = calendar(seed, symbol, trades_per_day)
    params = symbol_params(symbol)
    rng = np.random.default_rng([seed, symbol_key(symbol), d, 1])
    n, m = int(cal.trade_counts[d]), int(cal.agg_counts[d])
    unit = "ms" if day < MICROS_FROM else "us"
    per_second = 1000 if unit == "ms" else 1_000_000
    day_units = 86_400 * per_second
    epoch_days = (day - date(1970, 1, 1)).days

    sizes = _split_counts(rng, n, m, 1.0)  # trades per aggTrade
    levels = _levels_per_order(rng, m)  # aggTrades per taker order
    orders = len(levels)
    order_time = _order_times(rng, orders, day_units)
    flips = rng.random(orders) < 0.3  # sides are autocorrelated
    seller = ((rng.integers(0, 2) + np.cumsum(flips)) % 2).astype(bool)  # isBuyerMaker
    mid = _bridge(rng, order_time / day_units, int(cal.open_ticks[d]), int(cal.open_ticks[d + 1]))
    gap = rng.integers(1, 3, orders)  # ticks between walked levels
    base = np.rint(mid).astype(np.int64) + (~seller)  # buyers lift the ask, one tick up
    base = np.maximum(base, 1 + np.where(seller, (levels - 1) * gap, 0))

    group_order = np.repeat(np.arange(orders), levels)
    order_start = np.concatenate(([0], np.cumsum(levels)[:-1]))
    level = np.arange(m) - np.repeat(order_start, levels)
    direction = np.where(seller, -1, 1)
    group_ticks = base[group_order] + direction[group_order] * gap[group_order] * level

    trade_group = np.repeat(np.arange(m), sizes)
    ticks = group_ticks[trade_group]
    median_steps = params.median_notional / (cal.open_ticks[d] * 10.0 ** -(params.tick_decimals + params.step_decimals))
    steps = np.rint(np.exp(np.log(max(median_steps, 1.0)) + 1.3 * rng.standard_normal(n)))
    steps = np.clip(steps, 1, max(median_steps, 1.0) * 1e4).astype(np.int64)

    price_scale = 10 ** (8 - params.tick_decimals)
    qty_scale = 10 ** (8 - params.step_decimals)
    quote_scale = 10 ** (8 - params.tick_decimals - params.step_decimals)
    group_first = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    first_trade = int(cal.first_trade_ids[d])
    qty = steps * qty_scale
    raw = RawDay(
        symbol=symbol,
        day=day,
        unit=unit,
        day_start=epoch_days * day_units,
        trade_id=first_trade + np.arange(n, dtype=np.int64),
        price=ticks * price_scale,
        qty=qty,
        quote=ticks * steps * quote_scale,
        time=order_time[group_order][trade_group],
        buyer_maker=seller[group_order][trade_group],
        agg_id=int(cal.first_agg_ids[d]) + np.arange(m, dtype=np.int64),
        agg_price=group_ticks * price_scale,
        agg_qty=np.add.reduceat(qty, group_first),
        agg_first=first_trade + group_first,
        agg_last=first_trade + group_first + sizes - 1,
        agg_time=order_time[group_order],
        agg_buyer_maker=seller[group_order],
        klines={},
    )
    raw.klines = _klines(raw, 60 * per_second)
    return raw
