"""The symbol universe table in a test warehouse: `raw.symbol_universe` with the columns the universe asset writes
(symbol, base_asset, quote_asset, status, first_day, last_day, quote_volume, updated_at), created and filled here
with plain SQL on either engine, then the warehouse's publish version bumped as a real write does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from binance_assets.warehouse import Warehouse
from binance_assets.warehouse.table_names import SYMBOL_UNIVERSE_TABLE

CREATE = (
    f"CREATE TABLE IF NOT EXISTS {SYMBOL_UNIVERSE_TABLE} (symbol VARCHAR, base_asset VARCHAR, quote_asset VARCHAR, "
    "status VARCHAR, first_day DATE, last_day DATE, quote_volume DOUBLE PRECISION, updated_at TIMESTAMP)"
)
CHUNK = 400


@dataclass(frozen=True)
class Row:
    symbol: str
    base_asset: str
    quote_asset: str
    status: str  # TRADING, or BREAK once delisted
    first_day: dt.date | None
    last_day: dt.date | None
    quote_volume: float | None
    updated_at: dt.datetime = dt.datetime(2025, 1, 3)


def write_universe(warehouse: Warehouse, rows: Iterable[Row]) -> None:
    """Replace the universe table's rows with `rows`, through the platform's own writer
    (binance_assets.warehouse.universe.write_universe: one transaction, the publish version bumped)."""
    from binance_assets.binance.universe import Listing
    from binance_assets.warehouse.universe import write_universe as record

    rows = list(rows)
    listings = [Listing(r.symbol, r.base_asset, r.quote_asset, r.status, r.first_day, r.last_day, r.quote_volume)
                for r in rows]
    record(warehouse, listings, updated_at=rows[0].updated_at if rows else None)


def drop_universe(warehouse: Warehouse) -> None:
    with warehouse.connect() as con:
        warehouse._execute(con, f"DROP TABLE IF EXISTS {SYMBOL_UNIVERSE_TABLE}", None)
    warehouse.record_publish("symbol_universe")


UNIVERSE_DAY = dt.date(2025, 1, 2)


def sample_rows() -> list[Row]:
    """The API tests' universe: the two symbols the shared test warehouse holds data of, a delisted one (BREAK),
    and listed symbols without data, of other quote assets (one delisted too)."""
    return [
        Row("BTCUSDT", "BTC", "USDT", "TRADING", dt.date(2017, 8, 17), None, 2.5e9),
        Row("ETHUSDT", "ETH", "USDT", "TRADING", dt.date(2017, 8, 17), None, 1.1e9),
        Row("LUNAUSDT", "LUNA", "USDT", "BREAK", dt.date(2020, 8, 21), dt.date(2022, 5, 12), 0.0),
        Row("SOLBTC", "SOL", "BTC", "TRADING", dt.date(2020, 8, 11), None, 3.2e5),
        Row("PEPEFDUSD", "PEPE", "FDUSD", "TRADING", UNIVERSE_DAY, None, 7.0e4),
        Row("WAVESBTC", "WAVES", "BTC", "BREAK", dt.date(2019, 1, 1), dt.date(2024, 6, 3), None),
    ]


def _name(i: int) -> str:
    """A made-up base asset for index i: BAA, BAB, ..., ZZZ, BAAA, ... (three letters at least)."""
    letters, out, n = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "", i + 26 * 26  # from "BAA": three letters at least
    while n:
        n, r = divmod(n, 26)
        out = letters[r] + out
    return out


def synthetic_rows(n: int, *, first_day: dt.date = dt.date(2017, 8, 17), last_listed: dt.date = dt.date(2025, 1, 2),
                   keep: Iterable[Row] = (), seed: int = 7) -> list[Row]:
    """A universe of `n` symbols at exchange scale: `keep` (real rows) first, then made-up ones with a power law of
    quote volumes (a few large, most small, some none), quotes spread over USDT/FDUSD/BTC/ETH/TRY, listings spread
    over the years and about one in twelve delisted (BREAK, with a last day)."""
    import random

    rng = random.Random(seed)
    rows = list(keep)
    taken = {r.symbol for r in rows}
    real = {"BTC", "ETH", "BNB", "USDT", "USDC", "FDUSD", "TRY", "EUR", "SOL", "XRP"}  # never made up
    quotes = ["USDT"] * 5 + ["FDUSD", "BTC", "BTC", "ETH", "TRY"]
    span = (last_listed - first_day).days
    i = 0
    while len(rows) < n:
        base, quote = _name(i), quotes[i % len(quotes)]
        i += 1
        if base in real or f"{base}{quote}" in taken:
            continue
        taken.add(f"{base}{quote}")
        listed = first_day + dt.timedelta(days=rng.randrange(span + 1))
        delisted = rng.random() < 1 / 12 and listed < last_listed
        last = listed + dt.timedelta(days=rng.randrange((last_listed - listed).days + 1)) if delisted else None
        volume = 0.0 if delisted else round(1e9 / (len(rows) + 1) ** 1.2 * rng.uniform(0.5, 1.5), 2)
        rows.append(Row(f"{base}{quote}", base, quote, "BREAK" if delisted else "TRADING", listed, last, volume))
    return rows
