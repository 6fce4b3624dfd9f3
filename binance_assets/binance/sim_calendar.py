"""Day-level series of the simulator, cheap to compute for any day on its own.

Everything here depends only on (seed, symbol[, trades_per_day]): day open prices (a mean-reverting
log random walk), trade and aggTrade counts per day, hence the first ids of any day.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import accumulate

import numpy as np

EPOCH = date(2017, 1, 1)
HORIZON_DAYS = (date(2100, 1, 1) - EPOCH).days
MICROS_FROM = date(2025, 1, 1)  # spot archives switch to microseconds on this day
DAILY_VOL = 0.025
MEAN_REVERSION = 0.998


@dataclass(frozen=True)
class SymbolParams:
    """Price tick 10^-tick_decimals, quantity step 10^-step_decimals (their sum must be <= 8)."""

    tick_decimals: int
    step_decimals: int
    start_price: float
    median_notional: float  # typical trade size in quote units


SYMBOL_PARAMS = {
    "BTCUSDT": SymbolParams(2, 5, 60_000.0, 150.0),
    "ETHUSDT": SymbolParams(2, 4, 3_000.0, 120.0),
}
DEFAULT_PARAMS = SymbolParams(4, 1, 1.0, 40.0)


def symbol_params(symbol: str) -> SymbolParams:
    return SYMBOL_PARAMS.get(symbol, DEFAULT_PARAMS)


def symbol_key(symbol: str) -> int:
    """Stable (not `hash()`-randomised) integer for a symbol."""
    return zlib.crc32(symbol.encode())


def day_index(day: date) -> int:
    index = (day - EPOCH).days
    if not 0 <= index < HORIZON_DAYS - 1:
        raise ValueError(f"simulated days run from {EPOCH} to 2099-12-30, got {day}")
    return index


@dataclass(frozen=True)
class Calendar:
    open_ticks: np.ndarray  # day open price in ticks, one per day since EPOCH
    trade_counts: np.ndarray
    agg_counts: np.ndarray
    first_trade_ids: np.ndarray  # of each day
    first_agg_ids: np.ndarray


@lru_cache(maxsize=64)
def calendar(seed: int, symbol: str, trades_per_day: int) -> Calendar:
    key = symbol_key(symbol)
    params = symbol_params(symbol)
    rng = np.random.default_rng([seed, key, 0])
    shocks = rng.standard_normal(HORIZON_DAYS) * DAILY_VOL
    factors = rng.uniform(0.8, 1.2, HORIZON_DAYS)
    agg_ratios = rng.uniform(0.45, 0.75, HORIZON_DAYS)
    # AR(1) on 30k days, the same float operations in the same order as a plain loop (exact), ~2 ms; cached.
    steps = accumulate(shocks.tolist(), lambda level, shock: level * MEAN_REVERSION + shock, initial=0.0)
    log_level = np.fromiter(steps, np.float64, HORIZON_DAYS + 1)[:-1]
    open_ticks = np.maximum(np.rint(params.start_price * 10**params.tick_decimals * np.exp(log_level)), 100).astype(
        np.int64
    )
    trade_counts = np.maximum(np.rint(trades_per_day * factors), 1).astype(np.int64)
    agg_counts = np.clip(np.rint(trade_counts * agg_ratios), 1, trade_counts).astype(np.int64)
    base_trade = 1 + (key % 997) * 1_000_000
    base_agg = 1 + (key % 991) * 1_000_000
    return Calendar(
        open_ticks=open_ticks,
        trade_counts=trade_counts,
        agg_counts=agg_counts,
        first_trade_ids=base_trade + np.concatenate(([0], np.cumsum(trade_counts)[:-1])),
        first_agg_ids=base_agg + np.concatenate(([0], np.cumsum(agg_counts)[:-1])),
    )
