"""`validate-archive`: one archive through the same row checks as the pipeline. No Dagster here.

The file is verified against its `.CHECKSUM` (if there is one) and parsed like a load; then the
pipeline's blocking checks (`rules.blocking_checks`: pandera model, unique ids) and `id_continuity`
(a warning; without the previous day, only holes inside the file) run on its rows, with the symbol
and UTC day (or month) of its name (or given). An archive the pipeline would refuse to publish is rejected.
Futures archives (USD-M, COIN-M) are checked as their market has them, klines of any interval with that
interval's close time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from binance_assets.binance.formats import interval_word, name_parts
from binance_assets.binance.inspect import read_verified, summarize
from binance_assets.binance.intervals import kline_interval
from binance_assets.binance.schema import ArchiveKind, Market
from binance_assets.binance.urls import market_in_path
from binance_assets.ingestion.rules import (
    CheckOutcome,
    blocking_checks,
    continuity_check,
    rejection_message,
)
from binance_assets.warehouse.tables import raw_table_for


class ArchiveNameError(ValueError):
    """The symbol or UTC day of an archive cannot be told from its name and was not given."""


@dataclass(frozen=True)
class ArchiveValidation:
    summary: dict[str, Any]
    checks: list[CheckOutcome]

    @property
    def rejected(self) -> bool:
        return any(c.blocking and not c.passed for c in self.checks)

    @property
    def rejection(self) -> str:
        return rejection_message(self.checks)

    @property
    def warnings(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.blocking and not c.passed]

    def as_dict(self) -> dict[str, Any]:
        checks = [
            {"name": c.name, "passed": c.passed, "blocking": c.blocking, "summary": c.summary} for c in self.checks
        ]
        return self.summary | {"accepted": not self.rejected, "checks": checks}


@dataclass(frozen=True)
class ArchivePartition:
    """What an archive holds: one symbol's UTC day (daily archives) or UTC month (monthly: its days)."""

    symbol: str
    start: dt.date
    monthly: bool = False

    def row_days(self, times: pa.Array) -> dt.date | pa.Array:
        """The day each row is checked as: the archive's day; for a monthly archive the row's own UTC day
        when that lies in the month, else the month's first (so the row fails the inside-the-day check)."""
        if not self.monthly:
            return self.start
        days = pc.cast(times, pa.date32())
        start = pa.scalar(self.start, pa.date32())
        following = self.start.replace(year=self.start.year + self.start.month // 12, month=self.start.month % 12 + 1)
        inside = pc.and_(pc.greater_equal(days, start), pc.less(days, pa.scalar(following, pa.date32())))
        return pc.if_else(inside, days, start)

    def labels(self) -> dict[str, str]:
        return {"month": self.start.strftime("%Y-%m")} if self.monthly else {"trade_date": str(self.start)}


def partition_of(path: Path, symbol: str | None, day: dt.date | None) -> ArchivePartition:
    """The partition an archive belongs to: symbol and day as given, else from its file name (a monthly
    archive, `SYMBOL-kind-YYYY-MM.zip`, holds the days of its month)."""
    parts = name_parts(Path(path).name)
    if symbol is None:
        if parts is None:
            raise ArchiveNameError(f"{path}: cannot tell the symbol from the file name; pass --symbol")
        symbol = parts[0].upper()
    if day is not None:
        return ArchivePartition(symbol, day)
    label = parts[1] if parts else ""
    try:
        if len(label) == len("YYYY-MM"):
            return ArchivePartition(symbol, dt.date.fromisoformat(f"{label}-01"), monthly=True)
        return ArchivePartition(symbol, dt.date.fromisoformat(label))
    except ValueError:
        raise ArchiveNameError(
            f"{path}: cannot tell the UTC day from the file name (archives are named SYMBOL-kind-YYYY-MM-DD.zip, "
            "monthly ones SYMBOL-kind-YYYY-MM.zip); pass --day"
        ) from None


def klines_interval(path: Path, interval: str | None) -> str:
    """The klines interval as given, else as the file name writes it (`BTCUSDT-1h-...`), else 1m."""
    return kline_interval(interval or interval_word(Path(path).name) or "1m")


def validate_archive(
    path: Path,
    checksum_path: Path | None = None,
    *,
    symbol: str | None = None,
    day: dt.date | None = None,
    market: Market | None = None,
    interval: str | None = None,
) -> ArchiveValidation:
    """Parse and check one archive as what it is: its market (as given, else from its data.binance.vision
    path, else from its contents) and, for klines, its interval (as given, else from its name). Raises the
    reader's `BinanceDataError`s for unreadable files."""
    partition = partition_of(path, symbol, day)
    contents, checksum_ok = read_verified(path, checksum_path, market=market or market_in_path(str(path)))
    table = raw_table_for(contents.kind)
    kline_iv = klines_interval(path, interval) if contents.kind is ArchiveKind.KLINES else None
    rows = contents.table
    days = partition.row_days(rows[table.time_column])
    checks = blocking_checks(
        table, rows, symbol=partition.symbol, day=days, market=contents.market, interval=kline_iv or "1m"
    )
    if table.id_column is not None:
        checks.append(continuity_check(rows[table.id_column], None))
    summary = summarize(contents, checksum_ok) | {"symbol": partition.symbol, **partition.labels()}
    if kline_iv is not None:
        summary["interval"] = kline_iv
    return ArchiveValidation(summary, checks)
