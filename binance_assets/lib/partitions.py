"""Raw partitions: one per (UTC day, symbol)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import dagster as dg

from binance_assets.settings import Settings

DATE_DIMENSION = "date"
SYMBOL_DIMENSION = "symbol"


def daily_symbol_partitions(settings: Settings) -> dg.MultiPartitionsDefinition:
    return dg.MultiPartitionsDefinition(
        {
            DATE_DIMENSION: dg.DailyPartitionsDefinition(start_date=settings.start_date.isoformat()),
            SYMBOL_DIMENSION: dg.StaticPartitionsDefinition(list(settings.symbols)),
        }
    )


@dataclass(frozen=True)
class DaySymbol:
    day: dt.date
    symbol: str

    @classmethod
    def from_key(cls, key: dg.MultiPartitionKey | str) -> DaySymbol:
        """From a MultiPartitionKey, or its string form `2025-01-01|BTCUSDT` (dimensions sorted by name)."""
        if isinstance(key, dg.MultiPartitionKey):
            by_dim = key.keys_by_dimension
            return cls(dt.date.fromisoformat(by_dim[DATE_DIMENSION]), by_dim[SYMBOL_DIMENSION])
        day, sep, symbol = str(key).partition("|")
        if not sep:
            raise ValueError(f"expected a (date, symbol) partition key like 2025-01-01|BTCUSDT, got {key!r}")
        return cls(dt.date.fromisoformat(day), symbol)

    def key(self) -> dg.MultiPartitionKey:
        return dg.MultiPartitionKey({DATE_DIMENSION: self.day.isoformat(), SYMBOL_DIMENSION: self.symbol})
