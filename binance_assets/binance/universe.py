"""The symbol universe: which spot symbols are expected on which UTC day. Pure: no Dagster, no HTTP.

Binance's spot `GET /api/v3/exchangeInfo` lists every symbol with its base and quote asset and a status
(`TRADING`; `BREAK` once delisted; rarely `HALT`, `PRE_TRADING`, ...) but no listing date. A symbol's first
trading day is the day of its first 1d candle, and a `BREAK` symbol's last trading day the day of its last
one: `universe_source.refresh_listings` fetches those once per symbol (new symbols, and symbols that just
went to `BREAK`), so a daily refresh costs one exchangeInfo call and a few klines calls.

The rules (`Listing.listed_on`, `SymbolUniverse.symbols_on`):

* a symbol listed on day D (its `first_day`) is expected from D on, never before;
* a delisted symbol (status `BREAK`, `last_day` L) is expected up to L and not after;
* any other status (`TRADING`, `HALT`, ...) has no last day: the symbol is expected every day from D.

`SymbolUniverse.filtered` keeps the symbols that pass every filter given (filters are ANDed):
an allow-list (empty: any symbol), a deny-list (wins over the allow-list), quote assets (empty: any) and a
minimum quote volume (0: none; a symbol whose volume is unknown fails a minimum above 0). An allow-listed
symbol the universe does not list at all is an error naming it, not a silent empty day.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .errors import UniverseError
from .urls import SYMBOL_RE, validate_symbol

# Binance's documented spot symbol statuses (binance-spot-api-docs, enums.md: Symbol status).
SYMBOL_STATUSES = ("PRE_TRADING", "TRADING", "POST_TRADING", "END_OF_DAY", "HALT", "AUCTION_MATCH", "BREAK")
TRADING = "TRADING"
DELISTED = "BREAK"

__all__ = [
    "DELISTED",
    "SYMBOL_STATUSES",
    "TRADING",
    "ExchangeSymbol",
    "Listing",
    "SymbolUniverse",
    "listings_from_exchange_info",
    "parse_exchange_info",
]


@dataclass(frozen=True)
class ExchangeSymbol:
    """One entry of exchangeInfo's `symbols`, as Binance says it."""

    symbol: str
    base_asset: str
    quote_asset: str
    status: str

    @property
    def archivable(self) -> bool:
        """Whether the archive layout (and so the pipeline) can hold this symbol's name (`^[A-Z0-9]{2,20}$`).
        Binance has listed a few names outside it (non-Latin letters): those stay out of the universe."""
        return bool(SYMBOL_RE.match(self.symbol))


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise UniverseError(f"{where}: '{key}' must be a non-empty string, got {value!r}")
    return value


def parse_exchange_info(payload: Any) -> list[ExchangeSymbol]:
    """The `symbols` of a spot exchangeInfo payload (the parsed JSON), in the payload's order.

    Only `symbol`, `status`, `baseAsset` and `quoteAsset` are read; every other field may be anything.
    A payload without a `symbols` list, an entry without those four strings, an undocumented status or a
    symbol listed twice is a `UniverseError` naming the entry.
    """
    if not isinstance(payload, Mapping) or not isinstance(payload.get("symbols"), list):
        raise UniverseError(f"exchangeInfo: expected an object with a 'symbols' list, got {type(payload).__name__}")
    found: list[ExchangeSymbol] = []
    seen: set[str] = set()
    for i, entry in enumerate(payload["symbols"]):
        where = f"exchangeInfo symbols[{i}]"
        if not isinstance(entry, Mapping):
            raise UniverseError(f"{where}: expected an object, got {type(entry).__name__}")
        symbol = _text(entry, "symbol", where)
        status = _text(entry, "status", f"{where} ({symbol})")
        if status not in SYMBOL_STATUSES:
            raise UniverseError(f"{where} ({symbol}): unknown status {status!r}, expected one of {SYMBOL_STATUSES}")
        if symbol in seen:
            raise UniverseError(f"{where}: {symbol} is listed twice")
        seen.add(symbol)
        base = _text(entry, "baseAsset", f"{where} ({symbol})")
        found.append(ExchangeSymbol(symbol, base, _text(entry, "quoteAsset", f"{where} ({symbol})"), status))
    return found


def _day(value: Any, name: str, symbol: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise UniverseError(f"{symbol}: {name} must be a date, got {value!r}")
    return value


@dataclass(frozen=True)
class Listing:
    """One symbol of the universe: what exchangeInfo says of it and the days it trades.

    `last_day` is set exactly when `status` is `BREAK` (delisted): its last trading day.
    `quote_volume` is its last known 24 h quote-asset volume (None: unknown).
    """

    symbol: str
    base_asset: str
    quote_asset: str
    status: str
    first_day: date
    last_day: date | None = None
    quote_volume: float | None = None

    def __post_init__(self) -> None:
        validate_symbol(self.symbol)
        for name in ("base_asset", "quote_asset"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise UniverseError(f"{self.symbol}: {name} must be a non-empty string")
        if self.status not in SYMBOL_STATUSES:
            raise UniverseError(f"{self.symbol}: unknown status {self.status!r}, expected one of {SYMBOL_STATUSES}")
        _day(self.first_day, "first_day", self.symbol)
        if self.status == DELISTED:
            if self.last_day is None:
                raise UniverseError(f"{self.symbol}: status BREAK needs its last trading day (last_day)")
            if _day(self.last_day, "last_day", self.symbol) < self.first_day:
                raise UniverseError(f"{self.symbol}: last_day {self.last_day} is before first_day {self.first_day}")
        elif self.last_day is not None:
            raise UniverseError(f"{self.symbol}: only a BREAK symbol has a last_day, status is {self.status}")
        volume = self.quote_volume
        if volume is not None and (
            isinstance(volume, bool) or not isinstance(volume, int | float) or not math.isfinite(volume) or volume < 0
        ):
            raise UniverseError(f"{self.symbol}: quote_volume must be a finite number >= 0 or None, got {volume!r}")

    def listed_on(self, day: date) -> bool:
        """Whether the symbol is expected to trade on `day`."""
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)


def _names(values: Iterable[str] | str | None, what: str) -> frozenset[str]:
    if values is None:
        return frozenset()
    if isinstance(values, str):
        raise UniverseError(f"{what} must be a list of names, not the string {values!r}")
    names = frozenset(values)
    bad = sorted(repr(v) for v in names if not isinstance(v, str) or not v or v != v.strip())
    if bad:
        raise UniverseError(f"{what} holds names that are not non-empty strings: {', '.join(bad)}")
    return names


class SymbolUniverse:
    """The listings, by symbol; immutable. `symbols_on(day)` is the day's expected symbols, sorted."""

    def __init__(self, listings: Iterable[Listing] = ()) -> None:
        by_symbol: dict[str, Listing] = {}
        for listing in listings:
            if not isinstance(listing, Listing):
                raise UniverseError(f"a SymbolUniverse holds Listing objects, got {type(listing).__name__}")
            if listing.symbol in by_symbol:
                raise UniverseError(f"{listing.symbol} is listed twice")
            by_symbol[listing.symbol] = listing
        self._by_symbol = dict(sorted(by_symbol.items()))

    def __repr__(self) -> str:
        return f"SymbolUniverse({len(self)} symbols)"

    def __len__(self) -> int:
        return len(self._by_symbol)

    def __iter__(self) -> Iterator[Listing]:
        return iter(self._by_symbol.values())

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._by_symbol

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SymbolUniverse) and self._by_symbol == other._by_symbol

    __hash__ = None  # type: ignore[assignment]  # mutable-looking container semantics: compare, don't hash

    @property
    def symbols(self) -> list[str]:
        """Every symbol, sorted (whatever its days)."""
        return list(self._by_symbol)

    @property
    def listings(self) -> list[Listing]:
        return list(self._by_symbol.values())

    def listing(self, symbol: str) -> Listing:
        try:
            return self._by_symbol[symbol]
        except KeyError:
            raise UniverseError(f"{symbol!r} is not in the universe ({len(self)} symbols)") from None

    def symbols_on(self, day: date) -> list[str]:
        """The symbols expected on UTC `day`, sorted: listed on or before it, not delisted before it."""
        day = _day(day, "day", "symbols_on")
        return [s for s, listing in self._by_symbol.items() if listing.listed_on(day)]

    def symbols_between(self, first: date, last: date) -> list[str]:
        """The symbols expected on at least one day of [first, last], sorted (a backfill's range)."""
        first, last = _day(first, "first", "symbols_between"), _day(last, "last", "symbols_between")
        if last < first:
            raise UniverseError(f"symbols_between: last {last} is before first {first}")
        return [
            s
            for s, listing in self._by_symbol.items()
            if listing.first_day <= last and (listing.last_day is None or listing.last_day >= first)
        ]

    def filtered(
        self,
        quote_assets: Iterable[str] | None = None,
        allow: Iterable[str] | None = None,
        deny: Iterable[str] | None = None,
        min_quote_volume: float = 0.0,
    ) -> SymbolUniverse:
        """The listings that pass every filter given (see the module docstring); `allow` naming a symbol the
        universe does not list is a `UniverseError` naming it."""
        quotes, allowed, denied = _names(quote_assets, "quote_assets"), _names(allow, "allow"), _names(deny, "deny")
        if isinstance(min_quote_volume, bool) or not isinstance(min_quote_volume, int | float):
            raise UniverseError(f"min_quote_volume must be a number, got {min_quote_volume!r}")
        if not math.isfinite(min_quote_volume) or min_quote_volume < 0:
            raise UniverseError(f"min_quote_volume must be a finite number >= 0, got {min_quote_volume!r}")
        unknown = sorted(allowed - self._by_symbol.keys())
        if unknown:
            raise UniverseError(
                f"the allow-list names {len(unknown)} symbol(s) the universe does not list: {', '.join(unknown)} "
                f"(the universe has {len(self)} symbols; is it refreshed, and are the names right?)"
            )

        def keep(listing: Listing) -> bool:
            if allowed and listing.symbol not in allowed:
                return False
            if listing.symbol in denied or (quotes and listing.quote_asset not in quotes):
                return False
            if min_quote_volume > 0:
                return listing.quote_volume is not None and listing.quote_volume >= min_quote_volume
            return True

        return SymbolUniverse(listing for listing in self if keep(listing))


def listings_from_exchange_info(
    symbols: Iterable[ExchangeSymbol],
    first_days: Mapping[str, date],
    last_days: Mapping[str, date] | None = None,
    quote_volumes: Mapping[str, float] | None = None,
) -> list[Listing]:
    """Listings of the exchangeInfo `symbols` that have a first day (no first candle yet: not trading yet,
    left out) and whose names the archive can hold; a BREAK symbol takes its last day from `last_days`
    (one without is left out: it cannot be said when it stopped)."""
    last_days, quote_volumes = last_days or {}, quote_volumes or {}
    out = []
    for entry in symbols:
        first = first_days.get(entry.symbol)
        last = last_days.get(entry.symbol) if entry.status == DELISTED else None
        if not entry.archivable or first is None or (entry.status == DELISTED and last is None):
            continue
        volume = quote_volumes.get(entry.symbol)
        out.append(
            Listing(entry.symbol, entry.base_asset, entry.quote_asset, entry.status, first, last,
                    None if volume is None else float(volume))
        )  # fmt: skip
    return out
