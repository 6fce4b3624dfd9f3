"""`validate-archive`: one archive through the same row checks as the pipeline. No Dagster here.

The file is verified against its `.CHECKSUM` (if there is one) and parsed like a load; then the
pipeline's blocking checks (`rules.blocking_checks`: pandera model, unique ids) and `id_continuity`
(a warning; without the previous day, only holes inside the file) run on its rows, with the symbol
and UTC day of its name (or given). An archive the pipeline would refuse to publish is rejected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from binance_assets.binance.formats import name_parts
from binance_assets.binance.inspect import read_verified, summarize
from binance_assets.ingestion.rules import (
    CheckOutcome,
    blocking_checks,
    continuity_check,
    partition_frame,
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


def partition_of(path: Path, symbol: str | None, day: dt.date | None) -> tuple[str, dt.date]:
    """The (symbol, day) partition an archive belongs to: as given, else from its file name."""
    parts = name_parts(Path(path).name)
    if symbol is None:
        if parts is None:
            raise ArchiveNameError(f"{path}: cannot tell the symbol from the file name; pass --symbol")
        symbol = parts[0].upper()
    if day is None:
        try:
            day = dt.date.fromisoformat(parts[1]) if parts else None
        except ValueError:
            day = None
        if day is None:
            raise ArchiveNameError(
                f"{path}: cannot tell the UTC day from the file name (daily archives are named "
                "SYMBOL-kind-YYYY-MM-DD.zip); pass --day"
            )
    return symbol, day


def validate_archive(
    path: Path, checksum_path: Path | None = None, *, symbol: str | None = None, day: dt.date | None = None
) -> ArchiveValidation:
    """Parse and check one archive; raises the reader's `BinanceDataError`s for unreadable files."""
    symbol, day = partition_of(path, symbol, day)
    contents, checksum_ok = read_verified(path, checksum_path)
    table = raw_table_for(contents.kind)
    frame = partition_frame(table, symbol, day, contents.table)
    checks = blocking_checks(table, frame)
    if table.id_column is not None:
        checks.append(continuity_check(frame[table.id_column], None))
    return ArchiveValidation(summarize(contents, checksum_ok) | {"symbol": symbol, "trade_date": str(day)}, checks)
