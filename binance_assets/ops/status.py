"""`binance-assets status --day D`: what became of each file of a day, per symbol of that day's universe.

For every raw table and every symbol expected on the day (its universe: listed, not delisted, the settings'
filters), one of:
- `loaded` / `loaded_late`: in `raw.load_log` (current version, rows), on time or after its deadline;
- `failed`: nothing loaded, and the file was refused (kept in quarantine with the reason);
- `missing`: nothing loaded and its deadline has passed (late);
- `pending`: nothing loaded, deadline not reached yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from binance_assets.automation.deadlines import loaded_partitions
from binance_assets.binance.publication import arrived_late, deadline_for
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.lib.partitions import universe_on
from binance_assets.settings import Settings
from binance_assets.warehouse import RAW_TABLES, Warehouse

STATUSES = ("loaded", "loaded_late", "failed", "missing", "pending")


@dataclass(frozen=True)
class FileStatus:
    table: str
    symbol: str
    status: str
    rows: int | None = None
    version: int | None = None
    detail: str = ""


def day_status(settings: Settings, warehouse: Warehouse, day: dt.date, now: dt.datetime) -> list[FileStatus]:
    """One `FileStatus` per (raw table, symbol of the day in the table's market), by table then symbol."""
    markets = {t.dataset.market for t in RAW_TABLES.values()}
    symbols_of = {m: universe_on(settings, warehouse, day, m) for m in markets}
    loaded = loaded_partitions(warehouse, day, day)
    deadline = deadline_for(day, settings.raw_due_hours_after_midnight)
    out = []
    for table in RAW_TABLES.values():
        for symbol in symbols_of[table.dataset.market]:
            found = loaded.get((table.name, symbol, day))
            if found is not None:
                loaded_at, rows, expected_since = found
                late = loaded_at is not None and arrived_late(
                    day, loaded_at, expected_since or loaded_at, settings.raw_due_hours_after_midnight
                )
                log = warehouse.load_log(table.name, symbol, day) or {}
                out.append(FileStatus(table.name, symbol, "loaded_late" if late else "loaded", rows,
                                      log.get("version"), f"loaded at {loaded_at:%Y-%m-%d %H:%M} UTC"))
                continue
            spec = ArchiveSpec.daily(table.dataset, symbol, day)
            refused = settings.quarantine_dir / spec.relative_path
            reason = refused.with_name(refused.name + ".error.txt")
            if reason.is_file():
                out.append(FileStatus(table.name, symbol, "failed", detail=reason.read_text().strip()[:200]))
            elif deadline <= now:
                out.append(FileStatus(table.name, symbol, "missing", detail=f"due {deadline:%Y-%m-%d %H:%M} UTC"))
            else:
                out.append(FileStatus(table.name, symbol, "pending", detail=f"due {deadline:%Y-%m-%d %H:%M} UTC"))
    return out


def format_status(day: dt.date, rows: list[FileStatus]) -> list[str]:
    """The lines `binance-assets status` prints: a count per status, then one line per file not loaded on time
    (all of them with `verbose`)."""
    counts = {status: sum(1 for r in rows if r.status == status) for status in STATUSES}
    symbols, tables = len({r.symbol for r in rows}), len({r.table for r in rows}) or len(RAW_TABLES)
    lines = [f"{day}: {symbols} symbols x {tables} tables: "
             + ", ".join(f"{n} {status}" for status, n in counts.items() if n)]
    for r in rows:
        rows_text = f"{r.rows:,} rows v{r.version}" if r.rows is not None else ""
        lines.append(f"{r.status:<12}{r.table:<18}{r.symbol:<14}{rows_text:<20}{r.detail}")
    return lines
