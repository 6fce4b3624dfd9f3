"""One simulated day as exact integers: trades, aggTrades and 1m klines (numpy, vectorised).

Prices are in ticks and quantities in steps; every amount is then expressed in units of 1e-8 (the
8 decimals of Binance's files), so sums are exact and formatting is integer arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from .sim_calendar import MICROS_FROM, calendar, day_index, symbol_key, symbol_params

SCALE = 10**8  # one unit = 1e-8
MINUTES = 1440
INTRADAY_VOL = 0.02  # the bridge's scale: a day's path moves ~2% around its straight line
# planted signal (signal > 0 only): latent per-minute buy pressure, an AR(1) clipped to +-FLOW_CAP
FLOW_AR = 0.7
FLOW_SD = 0.22  # stationary sd before clipping
FLOW_CAP = 0.45
# impact of minute t's taker-buy imbalance, spread over minutes t+1..t+5 (front-loaded weights)
IMPACT_WEIGHTS = 0.6 ** np.arange(5) / (0.6 ** np.arange(5)).sum()
IMPACT = 4.0  # total move per unit of imbalance per unit of signal, in one-minute sigmas


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
    return start + (end - start) * t + INTRADAY_VOL * start * (walk - t * walk_end)


def _flow_sides(rng: np.random.Generator, order_minute: np.ndarray) -> np.ndarray:
    """isBuyerMaker per order, following a latent AR(1) buy pressure x_t: P(taker buys) = 0.5 + x_t."""
    shocks = rng.standard_normal(MINUTES) * FLOW_SD * np.sqrt(1 - FLOW_AR**2)
    pressure = np.empty(MINUTES)
    level = rng.standard_normal() * FLOW_SD
    for i, shock in enumerate(shocks.tolist()):  # 1440 steps
        pressure[i] = level
        level = FLOW_AR * level + shock
    pressure = np.clip(pressure, -FLOW_CAP, FLOW_CAP)
    return rng.random(len(order_minute)) >= 0.5 + pressure[order_minute]


def _impact_path(
    trade_minute: np.ndarray, taker_buy: np.ndarray, steps: np.ndarray, t: np.ndarray, scale: float
) -> np.ndarray:
    """Drift in ticks at day fractions `t`: minute s's realised imbalance pushes minutes s+1..s+5.

    The imbalance is the taker-buy share of the minute's base volume minus 0.5 (0 for an empty
    minute), i.e. what the 1m klines show up to the tick's rounding. The drift rate of minute u is
    `scale * sum_j IMPACT_WEIGHTS[j-1] * imbalance[u-j]`, integrated linearly within the minute; a
    straight line is then taken off so the path still starts and ends at 0 (the day's endpoints).
    """
    volume = np.bincount(trade_minute, weights=steps, minlength=MINUTES)
    bought = np.bincount(trade_minute, weights=np.where(taker_buy, steps, 0), minlength=MINUTES)
    imbalance = np.divide(bought, volume, out=np.full(MINUTES, 0.5), where=volume > 0) - 0.5
    rate = scale * np.concatenate(([0.0], np.convolve(imbalance, IMPACT_WEIGHTS)[: MINUTES - 1]))
    level = np.concatenate(([0.0], np.cumsum(rate)))  # drift at each minute boundary
    at = t * MINUTES
    minute = np.minimum(at.astype(np.int64), MINUTES - 1)
    return level[minute] + rate[minute] * (at - minute) - t * level[-1]


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


def generate_day(symbol: str, day: date, seed: int, trades_per_day: int, signal: float = 0.0) -> RawDay:
    """Deterministic from (seed, symbol, day, trades_per_day, signal); joins the neighbouring days.

    `signal` > 0 plants a learnable lead-lag: taker sides follow a latent AR(1) buy pressure and the
    taker-buy imbalance of minute t drifts the price over minutes t+1..t+5 by about
    `signal * IMPACT * imbalance` one-minute sigmas (INTRADAY_VOL / sqrt(1440) of the day's open).
    Times, sizes, quantities and ids do not depend on `signal`; 0.0 is the plain random walk.
    """
    if not (math.isfinite(signal) and signal >= 0):
        raise ValueError(f"signal must be a finite number >= 0, got {signal!r}")
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
    day_open = int(cal.open_ticks[d])
    mid = _bridge(rng, order_time / day_units, day_open, int(cal.open_ticks[d + 1]))
    gap = rng.integers(1, 3, orders)  # ticks between walked levels
    group_order = np.repeat(np.arange(orders), levels)
    trade_group = np.repeat(np.arange(m), sizes)
    median_steps = params.median_notional / (cal.open_ticks[d] * 10.0 ** -(params.tick_decimals + params.step_decimals))
    steps = np.rint(np.exp(np.log(max(median_steps, 1.0)) + 1.3 * rng.standard_normal(n)))
    steps = np.clip(steps, 1, max(median_steps, 1.0) * 1e4).astype(np.int64)

    if signal > 0:  # own stream: everything drawn above is the same for every signal
        order_minute = order_time // (60 * per_second)
        seller = _flow_sides(np.random.default_rng([seed, symbol_key(symbol), d, 2]), order_minute)
        trade_order = group_order[trade_group]
        minute_sigma = INTRADAY_VOL * day_open / np.sqrt(MINUTES)
        scale = signal * IMPACT * minute_sigma
        mid = mid + _impact_path(order_minute[trade_order], ~seller[trade_order], steps, order_time / day_units, scale)

    base = np.rint(mid).astype(np.int64) + (~seller)  # buyers lift the ask, one tick up
    base = np.maximum(base, 1 + np.where(seller, (levels - 1) * gap, 0))
    order_start = np.concatenate(([0], np.cumsum(levels)[:-1]))
    level = np.arange(m) - np.repeat(order_start, levels)
    direction = np.where(seller, -1, 1)
    group_ticks = base[group_order] + direction[group_order] * gap[group_order] * level
    ticks = group_ticks[trade_group]

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
