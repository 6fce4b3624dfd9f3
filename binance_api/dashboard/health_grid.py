"""The Data health heat map at the universe's size: every cell's status for every symbol, computed as arrays.

The warehouse's part (which raw partitions are loaded and when they first arrived, which derived tables hold
rows, which days each symbol was listed) is read once per warehouse version and day range (`build_grid`, kept
by the caller); the check outcomes and archive versions come from Dagster's storage per request. Each cell is a
bit mask of the statuses that apply (binance_api.dashboard.health's rules: failed, missing, replaced, warning,
late; loaded when none applies; `unlisted` for a day outside the symbol's listing with no data, which is no
problem). A symbol's problems are its cells with any of the first five. Only the shown page's rows are
turned into labels. The rows are spot symbols and USD-M perpetuals (`UM:BTCUSDT`): each table has cells for
its own market's rows only (`health.row_prefix`), so a spot table shows no futures row and the reverse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from binance_api.dashboard.dagster_storage import CheckOutcome
from binance_api.dashboard.health import ROW_PREFIX, row_prefix
from binance_api.services.universe import Listing
from binance_assets.binance.publication import check_due_hours
from binance_assets.warehouse.load_log import LOAD_LOG

FAILED, MISSING, REPLACED, WARNING, LATE, UNLISTED = (1 << n for n in range(6))
PROBLEM = FAILED | MISSING | REPLACED | WARNING | LATE
FLAG_NAMES = ((FAILED, "failed"), (MISSING, "missing"), (REPLACED, "replaced"), (WARNING, "warning"), (LATE, "late"))
US_PER_DAY = 86_400_000_000

# Per partition of the range: loaded now (a current version), its first load over every version; per table and
# symbol: its first load over the whole log (`publication.ARRIVALS_SQL`'s facts, without the window over the log).
RANGE_SQL = (
    f"SELECT table_name, symbol, trade_date, min(loaded_at) AS arrived_at, "
    f"max(CASE WHEN superseded_at IS NULL THEN 1 ELSE 0 END) AS present "
    f"FROM {LOAD_LOG} WHERE trade_date >= ? AND trade_date <= ? GROUP BY table_name, symbol, trade_date"
)
FIRST_LOADS_SQL = (
    f"SELECT table_name, symbol, min(loaded_at) AS expected_since FROM {LOAD_LOG} GROUP BY table_name, symbol"
)


def label(mask: int, present: bool) -> str:
    """A cell as the page gets it: its statuses worst first, joined by "+" (the first is the cell's status)."""
    flags = [name for bit, name in FLAG_NAMES if mask & bit]
    return "+".join(flags) if flags else ("loaded" if present else "unlisted")


@dataclass
class TableCells:
    table: str  # schema.name
    asset: str  # schema/name, Dagster's asset key
    kind: str  # raw or derived
    present: np.ndarray  # bool, symbols x days
    late: np.ndarray  # bool, symbols x days (raw only; False for derived tables)
    prefix: str = ""  # its symbols' prefix in the grid's rows (`UM:` for a USD-M futures table)
    applies: np.ndarray | None = None  # bool per row: the rows of its market (None: every row)


@dataclass
class Grid:
    days: list[dt.date]
    symbols: list[str]
    listed: np.ndarray  # bool, symbols x days
    tables: list[TableCells]

    @property
    def nbytes(self) -> int:
        return self.listed.nbytes + sum(t.present.nbytes + t.late.nbytes for t in self.tables)

    def index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.symbols)}


def _us(column: pa.ChunkedArray) -> np.ndarray:
    """Timestamps (naive UTC, or tz-aware) as UTC epoch microseconds."""
    unit_type = pa.timestamp("us", tz=column.type.tz)
    return pc.cast(pc.cast(column, unit_type), pa.int64()).to_numpy(zero_copy_only=False)


def _rows_of(column: pa.ChunkedArray, symbols: pa.Array) -> np.ndarray:
    """Each value's row in the grid (-1: not a grid symbol)."""
    return pc.index_in(column, value_set=symbols).fill_null(-1).to_numpy(zero_copy_only=False)


def _cells(
    table: pa.Table, symbols: pa.Array, start: dt.date, n_days: int, prefix: str = ""
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(symbol row, day column) of the result rows inside the grid, and which result rows those are (`prefix`:
    what the table's symbols are prefixed with in the grid's rows)."""
    column = table.column("symbol")
    if prefix:
        column = pc.binary_join_element_wise(prefix, column, "")
    rows = _rows_of(column, symbols)
    epoch_day = pc.cast(pc.cast(table.column("trade_date"), pa.date32()), pa.int32()).to_numpy(zero_copy_only=False)
    cols = epoch_day - (start - dt.date(1970, 1, 1)).days
    keep = (rows >= 0) & (cols >= 0) & (cols < n_days)
    return rows[keep], cols[keep], keep


def listed_matrix(listings: Sequence[Listing], days: Sequence[dt.date]) -> np.ndarray:
    ordinals = np.array([d.toordinal() for d in days])
    first = np.array([x.first_day.toordinal() if x.first_day else -1 for x in listings])
    last = np.array([x.last_day.toordinal() if x.last_day else 10**9 for x in listings])
    return (ordinals[None, :] >= first[:, None]) & (ordinals[None, :] <= last[:, None])


def build_grid(
    session, listings: Sequence[Listing], derived: Iterable[str], start: dt.date, end: dt.date, due_hours: float
) -> Grid:
    """The warehouse's part of the heat map (see the module doc) for `listings`' symbols over start..end."""
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    symbols = [x.symbol for x in listings]
    value_set = pa.array(symbols, pa.string())
    shape = (len(symbols), len(days))
    loads = session.query(RANGE_SQL, [start, end])
    first = session.query(FIRST_LOADS_SQL)
    # A day's deadline (publication.deadline_for) as epoch µs: due_hours after the next midnight UTC.
    day0_us = (start - dt.date(1970, 1, 1)).days * US_PER_DAY
    deadline = day0_us + (np.arange(len(days)) + 1) * US_PER_DAY + int(check_due_hours(due_hours) * 3_600_000_000)
    tables = []
    prefixes = np.array([_row_prefix(s) for s in symbols], dtype=object)
    for name in sorted(set(loads.column("table_name").to_pylist())):
        prefix = row_prefix(f"raw.{name}")
        part = loads.filter(pc.equal(loads.column("table_name"), name))
        rows, cols, keep = _cells(part, value_set, start, len(days), prefix)
        present = np.zeros(shape, bool)
        present[rows, cols] = pc.cast(part.column("present"), pa.int64()).to_numpy(zero_copy_only=False)[keep] > 0
        arrived = np.zeros(shape, np.int64)
        arrived[rows, cols] = _us(part.column("arrived_at"))[keep]
        since = np.full(len(symbols), np.iinfo(np.int64).max, np.int64)
        mine = first.filter(pc.equal(first.column("table_name"), name))
        mine_symbols = mine.column("symbol")
        at = _rows_of(pc.binary_join_element_wise(prefix, mine_symbols, "") if prefix else mine_symbols, value_set)
        since[at[at >= 0]] = _us(mine.column("expected_since"))[at >= 0]
        # publication.arrived_late: after the deadline, and the deadline after the platform started expecting it.
        late = present & (arrived > deadline[None, :]) & (deadline[None, :] > since[:, None])
        tables.append(TableCells(f"raw.{name}", f"raw/{name}", "raw", present, late, prefix, prefixes == prefix))
    for table in derived:
        prefix = row_prefix(table)
        held = session.query(
            f"SELECT DISTINCT symbol, trade_date FROM {table} WHERE trade_date >= ? AND trade_date <= ?", [start, end]
        )
        rows, cols, _ = _cells(held, value_set, start, len(days), prefix)
        present = np.zeros(shape, bool)
        present[rows, cols] = True
        tables.append(TableCells(table, table.replace(".", "/"), "derived", present, np.zeros(shape, bool), prefix,
                                 prefixes == prefix))
    return Grid(days, symbols, listed_matrix(listings, days), tables)


def _row_prefix(symbol: str) -> str:
    """A grid row's market prefix: `UM:` for a USD-M perpetual's row, "" for a spot symbol's."""
    return next((p for p in ROW_PREFIX.values() if p and symbol.startswith(p)), "")


def masks(
    grid: Grid, outcomes: Iterable[CheckOutcome], archive_versions: dict[tuple[str, str], int]
) -> list[np.ndarray]:
    """Per table of the grid, each cell's status bits (symbols x days, uint8)."""
    index = grid.index()
    day_col = {d.isoformat(): j for j, d in enumerate(grid.days)}
    by_asset = {t.asset: k for k, t in enumerate(grid.tables)}
    shape = grid.listed.shape
    checks = [np.zeros(shape, np.uint8) for _ in grid.tables]
    replaced = [np.zeros(shape, bool) for _ in grid.tables]

    def cell(asset: str, partition: str | None) -> tuple[int, int, int] | None:
        k = by_asset.get(asset)
        if k is None or not partition:
            return None
        day, _, symbol = partition.partition("|")
        i, j = index.get(grid.tables[k].prefix + symbol), day_col.get(day)
        return None if i is None or j is None else (k, i, j)

    for outcome in outcomes:
        finding = outcome.finding
        where = cell(outcome.asset, outcome.partition) if finding else None
        if where is not None:
            k, i, j = where
            checks[k][i, j] |= FAILED if finding == "failed" else WARNING
    for (asset, partition), versions in archive_versions.items():
        where = cell(asset, partition) if versions > 1 else None
        if where is not None:
            replaced[where[0]][where[1], where[2]] = True
    out = []
    for k, t in enumerate(grid.tables):
        bits = checks[k]
        bits |= np.where(~t.present & grid.listed, MISSING, 0).astype(np.uint8)
        bits |= np.where(t.present & replaced[k], REPLACED, 0).astype(np.uint8)
        bits |= np.where(t.late, LATE, 0).astype(np.uint8)
        bits |= np.where(~t.present & ~grid.listed & (bits == 0), UNLISTED, 0).astype(np.uint8)
        if t.applies is not None:
            bits[~t.applies] = 0  # another market's row: no cell here
        out.append(bits)
    return out


def problems(grid: Grid, cell_masks: list[np.ndarray]) -> dict[str, int]:
    """Per symbol: its cells with a problem, over every table and day."""
    total = np.zeros(len(grid.symbols), np.int64)
    for bits in cell_masks:
        total += ((bits & PROBLEM) != 0).sum(axis=1)
    return dict(zip(grid.symbols, total.tolist(), strict=True))


def page_tables(grid: Grid, cell_masks: list[np.ndarray], symbols: Sequence[str]) -> list[dict]:
    """The heat maps of the page's `symbols`: per table, one row per symbol of its market with one label per day
    (a table none of whose market's symbols is on the page is left out)."""
    index = grid.index()
    tables = []
    for t, bits in zip(grid.tables, cell_masks, strict=True):
        mine = [s for s in symbols if t.applies is None or t.applies[index[s]]]
        if not mine:
            continue
        rows = [index[s] for s in mine]
        chosen, present = bits[rows].tolist(), t.present[rows].tolist()
        tables.append({"table": t.table, "asset": t.asset, "kind": t.kind, "rows": [
            {"symbol": s, "cells": [label(m, p) for m, p in zip(masks_row, present_row, strict=True)]}
            for s, masks_row, present_row in zip(mine, chosen, present, strict=True)
        ]})
    return tables
