"""A simulated exchange's symbol universe: N symbols, a power law of daily volumes, listings and delistings.

`make_universe(size, start=..., seed=..., names=...)` is deterministic in its arguments:

* names: the symbols asked for by name (any `^[A-Z0-9]{2,20}$`, e.g. the allow-list's) come first, then
  generated ones (3-5 random letters + a quote asset drawn from `QUOTE_SHARES`) up to `size` symbols.
  Symbol i's name, quote, listing and delisting depend only on (seed, i) and the names before it, so the
  first 200 symbols of a 2,000-symbol universe are the 200-symbol universe's.
* volumes: rank r (1 = the first symbol) trades `total_trades * r^-alpha / sum_k k^-alpha` a day on average
  (Zipf): with alpha 1.5 and 2 M trades over 200 symbols, the top one trades ~800 k a day and the median one
  a few hundred. Every listed day has at least one trade (Binance publishes no empty archive); each day's
  count varies around the average (`sim_calendar`).
* listings: named symbols are listed on `start` and never delisted. A generated symbol is listed on
  `start` or, with probability `LATER_SHARE`, a geometric number of days later (mean `MEAN_LISTING_DELAY`);
  with probability `DELIST_SHARE` it is delisted (status BREAK) after a geometric lifetime (mean
  `MEAN_LIFETIME` days), its last trading day being `last_day`. These days do not depend on how many days
  are simulated: a longer window shows more of the same listings.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .rest_shapes import split_symbol
from .universe import DELISTED, TRADING
from .urls import validate_symbol

if TYPE_CHECKING:
    from binance_assets.settings import Settings

QUOTE_SHARES: tuple[tuple[str, float], ...] = (
    ("USDT", 0.55), ("USDC", 0.10), ("FDUSD", 0.10), ("BTC", 0.15), ("ETH", 0.05), ("BNB", 0.05),
)  # fmt: skip
LATER_SHARE = 0.25
MEAN_LISTING_DELAY = 20.0
DELIST_SHARE = 0.15
MEAN_LIFETIME = 15.0
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_STREAM = 0x554E4956  # "UNIV": the universe's own random streams, apart from the days' ones

__all__ = ["QUOTE_SHARES", "SimSymbol", "SimUniverse", "make_universe", "universe_from_settings", "zipf_trades"]


@dataclass(frozen=True)
class SimSymbol:
    """One simulated symbol: names, volume rank and average trades a day, first (and last) trading day."""

    symbol: str
    base_asset: str
    quote_asset: str
    rank: int
    trades_per_day: int
    first_day: date
    last_day: date | None = None

    def listed_on(self, day: date) -> bool:
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)

    def status(self, as_of: date) -> str | None:
        """Its exchangeInfo status on `as_of`: TRADING, BREAK after its last day, None before its listing."""
        if as_of < self.first_day:
            return None
        return DELISTED if self.last_day is not None and as_of > self.last_day else TRADING


@dataclass(frozen=True)
class SimUniverse:
    symbols: tuple[SimSymbol, ...]
    start: date
    seed: int

    def __iter__(self) -> Iterator[SimSymbol]:
        return iter(self.symbols)

    def __len__(self) -> int:
        return len(self.symbols)

    @cached_property
    def _by_name(self) -> dict[str, SimSymbol]:
        return {s.symbol: s for s in self.symbols}

    def get(self, symbol: str) -> SimSymbol | None:
        return self._by_name.get(symbol)

    @property
    def names(self) -> list[str]:
        return [s.symbol for s in self.symbols]

    def listed_on(self, day: date) -> list[SimSymbol]:
        """The symbols trading on `day`, by rank."""
        return [s for s in self.symbols if s.listed_on(day)]

    def known_on(self, as_of: date) -> list[SimSymbol]:
        """The symbols exchangeInfo lists on `as_of` (TRADING or BREAK), by rank: listed on or before it."""
        return [s for s in self.symbols if s.first_day <= as_of]


def zipf_trades(size: int, total_trades: int, alpha: float) -> np.ndarray:
    """Average trades a day of ranks 1..size: `total_trades` split as r^-alpha, at least one each."""
    weights = np.arange(1, size + 1, dtype=np.float64) ** -alpha
    return np.maximum(np.rint(total_trades * weights / weights.sum()), 1).astype(np.int64)


def _generated(rng: np.random.Generator, taken: set[str]) -> tuple[str, str, str]:
    quotes = [q for q, _ in QUOTE_SHARES]
    quote = quotes[int(rng.choice(len(quotes), p=[p for _, p in QUOTE_SHARES]))]
    base = "".join(_LETTERS[rng.integers(0, 26, int(rng.integers(3, 6)))])
    symbol, n = base + quote, 0
    while symbol in taken or split_symbol(symbol) != (symbol[: -len(quote)], quote):
        n += 1  # a clash (or a base ending like a quote asset): make it unique, deterministically
        symbol = f"{base}{n}{quote}"
    return symbol, symbol[: -len(quote)], quote


def _days(rng: np.random.Generator, start: date) -> tuple[date, date | None]:
    first = start
    if rng.random() < LATER_SHARE:
        first += timedelta(days=int(rng.geometric(1 / MEAN_LISTING_DELAY)))
    last = None
    if rng.random() < DELIST_SHARE:
        last = first + timedelta(days=int(rng.geometric(1 / MEAN_LIFETIME)) - 1)
    return first, last


def make_universe(
    size: int,
    *,
    start: date,
    seed: int = 7,
    names: Sequence[str] = (),
    total_trades: int = 2_000_000,
    alpha: float = 1.5,
) -> SimUniverse:
    """`size` symbols (the `names` first), listed from `start`; see the module docstring."""
    names = list(dict.fromkeys(names))
    for name in names:
        validate_symbol(name)
    if not isinstance(size, int) or size < max(len(names), 1):
        raise ValueError(f"size must be an int >= the {len(names)} named symbol(s) and >= 1, got {size!r}")
    if total_trades < 1 or not alpha > 0:
        raise ValueError(f"total_trades must be >= 1 and alpha > 0, got {total_trades!r}, {alpha!r}")
    trades = zipf_trades(size, total_trades, alpha)
    taken = set(names)
    symbols: list[SimSymbol] = []
    for i in range(size):
        rng = np.random.default_rng([seed, _STREAM, i])
        if i < len(names):
            symbol = names[i]
            base, quote = split_symbol(symbol)
            first, last = start, None
        else:
            symbol, base, quote = _generated(rng, taken)
            taken.add(symbol)
            first, last = _days(rng, start)
        symbols.append(SimSymbol(symbol, base, quote, i + 1, int(trades[i]), first, last))
    return SimUniverse(tuple(symbols), start, seed)


def universe_from_settings(settings: Settings) -> SimUniverse | None:
    """The simulated exchange the settings ask for: `BINANCE_ASSETS_SIM_UNIVERSE` symbols (the allow-list's names
    first), listed from `BINANCE_ASSETS_START_DATE`, seeded by `BINANCE_ASSETS_SIM_SEED`; None when it is 0 (the
    demo then simulates its allow-list's symbols alone, `sim_trades_per_day` each, as before)."""
    if not settings.sim_universe:
        return None
    return make_universe(
        max(settings.sim_universe, len(settings.symbols)),
        start=settings.start_date,
        seed=settings.sim_seed,
        names=settings.symbols,
        total_trades=settings.sim_universe_trades_per_day,
        alpha=settings.sim_universe_alpha,
    )
