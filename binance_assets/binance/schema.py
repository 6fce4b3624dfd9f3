"""Canonical, normalised column layout of each Binance archive kind.

Every reader returns a `pyarrow.Table` with exactly these columns and types, whatever the source
looked like (spot or futures, header or not, ms or µs timestamps, `True` or `true`). Timestamps are
stored in one unit: microseconds (`timestamp[us]`, UTC, timezone-naive), which holds both the
millisecond and the microsecond archives at their full precision.
"""

from __future__ import annotations

from enum import StrEnum

import pyarrow as pa


class ArchiveKind(StrEnum):
    TRADES = "trades"
    AGG_TRADES = "aggTrades"
    KLINES = "klines"


class Market(StrEnum):
    SPOT = "spot"
    FUTURES_UM = "futures/um"
    FUTURES_CM = "futures/cm"


TIMESTAMP = pa.timestamp("us")

TRADES_SCHEMA = pa.schema(
    [
        ("trade_id", pa.int64()),
        ("price", pa.float64()),
        ("qty", pa.float64()),
        ("quote_qty", pa.float64()),
        ("trade_time", TIMESTAMP),
        ("is_buyer_maker", pa.bool_()),
        ("is_best_match", pa.bool_()),  # null for futures, which do not have the column
    ]
)

AGG_TRADES_SCHEMA = pa.schema(
    [
        ("agg_trade_id", pa.int64()),
        ("price", pa.float64()),
        ("qty", pa.float64()),
        ("first_trade_id", pa.int64()),
        ("last_trade_id", pa.int64()),
        ("trade_time", TIMESTAMP),
        ("is_buyer_maker", pa.bool_()),
        ("is_best_match", pa.bool_()),  # null for futures
    ]
)

KLINES_SCHEMA = pa.schema(
    [
        ("open_time", TIMESTAMP),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("volume", pa.float64()),
        ("close_time", TIMESTAMP),
        ("quote_volume", pa.float64()),
        ("trade_count", pa.int64()),
        ("taker_buy_base_volume", pa.float64()),
        ("taker_buy_quote_volume", pa.float64()),
    ]
)

# COIN-M trades carry `base_qty` (the amount in the base asset) where the others carry `quote_qty`.
COIN_M_TRADES_SCHEMA = pa.schema(
    [pa.field("base_qty", pa.float64()) if f.name == "quote_qty" else f for f in TRADES_SCHEMA]
)

SCHEMAS: dict[ArchiveKind, pa.Schema] = {
    ArchiveKind.TRADES: TRADES_SCHEMA,
    ArchiveKind.AGG_TRADES: AGG_TRADES_SCHEMA,
    ArchiveKind.KLINES: KLINES_SCHEMA,
}


def canonical_schema(kind: ArchiveKind, market: Market | None = None) -> pa.Schema:
    """The canonical layout of `kind` in `market` (spot's where the market is not known)."""
    if kind is ArchiveKind.TRADES and market is Market.FUTURES_CM:
        return COIN_M_TRADES_SCHEMA
    return SCHEMAS[kind]


# The column that carries the row's id (None for klines) and the one that carries its time.
ID_COLUMN: dict[ArchiveKind, str | None] = {
    ArchiveKind.TRADES: "trade_id",
    ArchiveKind.AGG_TRADES: "agg_trade_id",
    ArchiveKind.KLINES: None,
}
TIME_COLUMN: dict[ArchiveKind, str] = {
    ArchiveKind.TRADES: "trade_time",
    ArchiveKind.AGG_TRADES: "trade_time",
    ArchiveKind.KLINES: "open_time",
}
