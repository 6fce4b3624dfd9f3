"""Deterministic simulated Binance spot archive: a byte-format-exact local data.binance.vision.

Any (seed, symbol, day) is generated on its own and agrees with a multi-day run: ids continue
across days and each day's price path ends at the next day's open.

`simulate_universe_mirror` simulates a whole exchange (`sim_universe.make_universe`): each symbol on its
listed days with its own volume, written by the same archive writer, in parallel threads (numpy, Arrow and
zlib release the GIL), plus the exchangeInfo and MINI 24 h tickers its REST simulator serves, byte for byte,
at `urls.MIRROR_EXCHANGE_INFO` and `urls.MIRROR_TICKER_24HR` (the local stand-in for api.binance.com).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from .datasets import Dataset, simulated_datasets
from .rest_shapes import WEIGHT_LIMIT_1M, json_body
from .rest_sim_daily import DailyCandle, daily_candle
from .rest_sim_market import SimMarket
from .schema import ArchiveKind, Market
from .sim_calendar import SYMBOL_PARAMS, SymbolParams, symbol_params
from .sim_day import RawDay, generate_day
from .sim_render import csv_bytes, dataset_csv, tables, write_archive, write_atomic
from .sim_universe import SimSymbol, SimUniverse
from .urls import MIRROR_EXCHANGE_INFO, MIRROR_TICKER_24HR, ArchiveSpec, validate_symbol

# The kinds of the spot datasets the simulator renders (the registry's `simulated` entries).
ALL_KINDS = tuple(ds.kind for ds in simulated_datasets(Market.SPOT))

__all__ = [
    "ALL_KINDS",
    "SYMBOL_PARAMS",
    "SimulatedDay",
    "SymbolParams",
    "UniverseMirror",
    "simulate_day",
    "simulate_mirror",
    "simulate_universe_mirror",
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
    chosen = _datasets(kinds, datasets)
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


def _datasets(kinds: Iterable[ArchiveKind], datasets: Iterable[Dataset] | None) -> list[Dataset]:
    if datasets is None:
        spot = {ds.kind: ds for ds in simulated_datasets(Market.SPOT)}
        datasets = [spot[ArchiveKind(k)] for k in kinds]
    return list(datasets)


@dataclass(frozen=True)
class UniverseMirror:
    """What `simulate_universe_mirror` wrote: archive zips (by symbol rank, then day), symbol-days, trades."""

    files: list[Path]
    symbol_days: int
    trades: int
    exchange_info: Path
    ticker_24hr: Path


def simulate_universe_mirror(
    out_dir: Path,
    universe: SimUniverse,
    start: date,
    days: int,
    *,
    signal: float = 0.0,
    kinds: Iterable[ArchiveKind] = ALL_KINDS,
    workers: int | None = None,
    compresslevel: int = 6,
) -> UniverseMirror:
    """Write every listed (symbol, day) of [start, start + days) as zips + CHECKSUMs under `out_dir`, then the
    universe's exchangeInfo and tickers as of the last day (what `SimMarket.for_universe` serves).

    `workers` threads (default: 2, or 1 on one core); `compresslevel` of the zips (6: the bytes `simulate_mirror`
    writes for the same symbol and volume; 1: ~4x faster deflate, ~30% larger zips, same CSVs and checksums rule).
    """
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    out_dir, chosen = Path(out_dir), _datasets(kinds, None)
    end = start + timedelta(days=days - 1)
    market = SimMarket.for_universe(universe, start, end, signal)
    tasks = [(s, day) for s in universe.known_on(end) for day in _days(*market.span(s.symbol))]

    def render(task: tuple[SimSymbol, date]) -> tuple[list[Path], int, DailyCandle | None]:
        listed, day = task
        raw = generate_day(listed.symbol, day, universe.seed, listed.trades_per_day, signal)
        paths = []
        for ds in chosen:
            spec = ArchiveSpec.daily(ds, listed.symbol, day)
            write_archive(out_dir / spec.relative_path, spec.csv_name, dataset_csv(raw, ds), day, compresslevel)
            paths.append(out_dir / spec.relative_path)
        last = day == market.span(listed.symbol)[1]
        return paths, len(raw.trade_id), daily_candle(raw) if last else None

    with ThreadPoolExecutor(max_workers=workers or min(2, os.cpu_count() or 1)) as pool:
        results = list(pool.map(render, tasks))
    candles = {t[0].symbol: r[2] for t, r in zip(tasks, results, strict=True) if r[2] is not None}
    server_ms = int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp() * 1000) + 86_400_000
    info_path, ticker_path = out_dir / MIRROR_EXCHANGE_INFO, out_dir / MIRROR_TICKER_24HR
    write_atomic(info_path, json_body(market.exchange_info(server_ms, WEIGHT_LIMIT_1M)))
    write_atomic(ticker_path, json_body(market.ticker_24hr(micros=False, candles=candles)))
    files = [path for paths, _, _ in results for path in paths]
    return UniverseMirror(files, len(tasks), sum(r[1] for r in results), info_path, ticker_path)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
