"""The symbol universe as the API serves it: `raw.symbol_universe` (one row per symbol: its base and quote asset,
Binance's status, TRADING or BREAK once delisted, its first and last trading day, its quote volume), read with
plain SQL on either engine. A warehouse without that table (one built before it existed) falls back to the
symbols the warehouse holds (`raw.load_log`), each TRADING, its assets split off a known quote suffix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from binance_assets.binance.rest_shapes import split_symbol
from binance_assets.warehouse.load_log import LOAD_LOG
from binance_assets.warehouse.snapshots import table_exists
from binance_assets.warehouse.table_names import SYMBOL_UNIVERSE_TABLE

TRADING = "TRADING"

# The latest row of each symbol (the table holds one; a second one, if ever written, must not list it twice).
UNIVERSE_SQL = f"""
SELECT symbol, base_asset, quote_asset, status, first_day, last_day, quote_volume FROM (
    SELECT symbol, base_asset, quote_asset, status, first_day, last_day, quote_volume,
           row_number() OVER (PARTITION BY symbol ORDER BY updated_at DESC NULLS LAST) AS latest
    FROM {SYMBOL_UNIVERSE_TABLE}
) u WHERE latest = 1 ORDER BY symbol
"""


@dataclass(frozen=True)
class Listing:
    symbol: str
    base_asset: str
    quote_asset: str
    status: str  # Binance's: TRADING, BREAK (delisted), HALT...
    first_day: dt.date | None = None
    last_day: dt.date | None = None  # None while listed
    quote_volume: float | None = None

    def listed_on(self, day: dt.date) -> bool:
        """Whether the symbol traded on `day` (no first day known: from the start)."""
        return (self.first_day is None or day >= self.first_day) and (self.last_day is None or day <= self.last_day)


def held_symbols(session) -> list[str]:
    """The symbols the warehouse holds data of (its publish record, raw.load_log)."""
    rows = session.query(f"SELECT DISTINCT symbol FROM {LOAD_LOG} ORDER BY symbol").column("symbol").to_pylist()
    return [str(s) for s in rows]


def fallback_listing(symbol: str) -> Listing:
    base, quote = split_symbol(symbol)
    return Listing(symbol, base, quote, TRADING)


def read_universe(session) -> list[Listing] | None:
    """The universe's rows by symbol, or None when the warehouse has none recorded (no table, or an empty one: the
    platform creates the table with the schema and fills it at the first refresh)."""
    if not table_exists(session, SYMBOL_UNIVERSE_TABLE):
        return None
    out = []
    for r in session.query(UNIVERSE_SQL).to_pylist():
        volume = r["quote_volume"]
        out.append(Listing(
            symbol=r["symbol"], base_asset=r["base_asset"], quote_asset=r["quote_asset"], status=r["status"],
            first_day=r["first_day"], last_day=r["last_day"], quote_volume=None if volume is None else float(volume),
        ))
    return out or None


def listings(session, held: list[str] | None = None) -> tuple[list[Listing], bool]:
    """(the universe, True), or (the held symbols as TRADING listings, False) on a warehouse without one."""
    universe = read_universe(session)
    if universe is not None:
        return universe, True
    return [fallback_listing(s) for s in (held if held is not None else held_symbols(session))], False
