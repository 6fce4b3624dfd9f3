"""What the dashboard reads from the warehouse once per published version and keeps (in `Services.views`, a
byte-bounded LRU, keyed by the version): the symbols it shows, the health grid of a day range, the freshness
facts, the day ranges of the pickers. Check outcomes (Dagster's storage) change on their own and are read per
request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from binance_api.dashboard import health, market
from binance_api.dashboard.health_grid import Grid, build_grid
from binance_api.services.universe import Listing, fallback_listing
from binance_api.state import Services
from binance_assets.warehouse.snapshots import ReadSession

T = TypeVar("T")


def _kept(services: Services, key: tuple, build: Callable[[], T]) -> T:
    found = services.views.get(key)
    if found is None:
        found = build()
        services.views.put(key, found)
    return found


def listings(services: Services, session: ReadSession, expected: Sequence[str] = ()) -> list[Listing]:
    """The symbols the pages show: the universe (from exchangeInfo's catalog), then symbols the warehouse holds
    that it does not list, and, on a warehouse without a universe, the configured symbols (`expected`)."""
    catalog = services.exchange_info.get(session)
    shown = list(catalog.listings)
    extra = set(catalog.held) | (set() if catalog.from_universe else set(expected))
    return shown + [fallback_listing(s) for s in sorted(extra - catalog.by_symbol.keys())]


def health_listings(services: Services, session: ReadSession) -> list[Listing]:
    """The heat map's rows: the spot symbols, then the USD-M perpetuals the warehouse holds (`UM:BTCUSDT`)."""
    return listings(services, session, services.config.core.symbols) + market.futures_listings(session)


def grid(services: Services, session: ReadSession, start: dt.date, end: dt.date, due_hours: float) -> Grid:
    """The health grid of start..end for the shown symbols (kept per version)."""
    def build() -> Grid:
        return build_grid(session, health_listings(services, session), health.derived_tables(session), start, end,
                          due_hours)

    return _kept(services, ("grid", session.version, start, end, due_hours), build)


def freshness_facts(services: Services, session: ReadSession) -> list[dict[str, Any]]:
    return _kept(services, ("freshness", session.version), lambda: _Boxed(health.freshness_facts(session))).value


def loaded_range(services: Services, session: ReadSession) -> tuple[dt.date | None, dt.date | None]:
    return _kept(services, ("loaded", session.version), lambda: _Boxed(health.loaded_range(session))).value


def market_range(services: Services, session: ReadSession) -> tuple[dt.date | None, dt.date | None]:
    return _kept(services, ("bars", session.version), lambda: _Boxed(market.day_range(session))).value


class _Boxed:
    """A small kept value (LocalLRU keeps values by identity; None and tuples need a box)."""

    nbytes = 4096

    def __init__(self, value: Any) -> None:
        self.value = value
