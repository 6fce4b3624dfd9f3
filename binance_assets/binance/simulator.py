"""Deterministic simulated Binance spot archive: a byte-format-exact local data.binance.vision.

Any (seed, symbol, day) is generated on its own and agrees with a multi-day run: ids continue
across days and each day's price path ends at the next day's open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa

from .datasets import Dataset, simulated_datasets
from .schema import ArchiveKind, Market
from .sim_calendar import SYMBOL_PARAMS, SymbolParams, symbol_params
from .sim_day import RawDay, generate_day
from .sim_render import csv_bytes, dataset_csv, tables, write_archive
from .urls import ArchiveSpec, validate_symbol

# The kinds of the spot datasets the simulator renders (the registry's `simulated` entries).
ALL_KINDS = tuple(ds.kind for ds in simulated_datasets(Market.SPOT))

__all__ = [
    "ALL_KINDS",
    "SYMBOL_PARAMS",
    "SimulatedDay",
    "SymbolParams",
    "simulate_day",
    "simulate_mirror",
    "symbol_params",
]


@dataclass(frozen=True)
class SimulatedDay:
    """The canonical tables of one simulated day (and its CSVs on demand)."""

    symbol: str
    day: date
    timestamp_unit: str
    trades: pa.Table
    agg_trades: pa.Table
    klines: pa.Table
    raw: RawDay = field(repr=False, compare=False)

    def table(self, kind: ArchiveKind) -> pa.Table:
        return {
            ArchiveKind.TRADES: self.trades,
            ArchiveKind.AGG_TRADES: self.agg_trades,
            ArchiveKind.KLINES: self.klines,
        }[ArchiveKind(kind)]

    def csv_bytes(self, kind: ArchiveKind) -> bytes:
        return csv_bytes(self.raw, ArchiveKind(kind))

    def spec(self, kind: ArchiveKind) -> ArchiveSpec:
        return ArchiveSpec(self.symbol, ArchiveKind(kind), day=self.day, market=Market.SPOT)


def simulate_day(
    symbol: str, day: date, seed: int = 7, trades_per_day: int = 20_000, signal: float = 0.0
) -> SimulatedDay:
    """One day of trades, aggTrades and 1m klines as canonical arrow tables.

    `signal` > 0 plants a learnable predictor: a minute's taker-buy imbalance (taker-buy share of
    its volume minus 0.5) drifts the price over the next five minutes; 1.0 is "strong" (see
    `sim_day.generate_day`). 0.0, the default, is a pure random walk (the historical output).
    """
    validate_symbol(symbol)
    raw = generate_day(symbol, day, seed, trades_per_day, signal)
    built = tables(raw)
    return SimulatedDay(
        symbol=symbol,
        day=day,
        timestamp_unit=raw.unit,
        trades=built[ArchiveKind.TRADES],
        agg_trades=built[ArchiveKind.AGG_TRADES],
        klines=built[ArchiveKind.KLINES],
        raw=raw,
    )


def simulate_mirror(
    out_dir: Path,
    symbols: list[str],
    start: date,
    days: int,
    seed: int = 7,
    trades_per_day: int = 20_000,
    kinds: Iterable[ArchiveKind] = ALL_KINDS,
    signal: float = 0.0,
    datasets: Iterable[Dataset] | None = None,
) -> list[Path]:
    """Write zips + CHECKSUMs in the archive layout under out_dir; returns the zip paths.

    The spot datasets of `kinds`, or the registry's `datasets` when given (any simulated market).
    `signal` as in `simulate_day` (0.0: no planted predictor).
    """
    out_dir = Path(out_dir)
    if datasets is None:
        spot = {ds.kind: ds for ds in simulated_datasets(Market.SPOT)}
        datasets = [spot[ArchiveKind(k)] for k in kinds]
    chosen = list(datasets)
    written: list[Path] = []
    for symbol in symbols:
        validate_symbol(symbol)
        for offset in range(days):
            day = start + timedelta(days=offset)
            raw = generate_day(symbol, day, seed, trades_per_day, signal)
            for ds in chosen:
                spec = ArchiveSpec.daily(ds, symbol, day)
                zip_path = out_dir / spec.relative_path
                write_archive(zip_path, spec.csv_name, dataset_csv(raw, ds), day)
                written.append(zip_path)
    return written
