"""`raw.load_log`: every loaded version of every raw partition, and the API the sensors read it with.

* `LoadRecord` says where a partition's data came from (source url, sha256 of the bytes parsed);
  the warehouse computes the row count and first/last id and time itself (`compute_stats`).
* `_write_load_log` runs inside the publish transaction: a sha256 that differs from the current
  version's adds version n+1 and stamps `superseded_at` on version n; the same sha256 refreshes the
  current row (a re-run of the same file is not a new version). A load without a sha256 (a REST
  gap-fill) cannot be told to be the same, so it always adds a version.
* Reading: `load_log(table, symbol, day)` (the current version), `load_log_history(table, day,
  symbol)` (every version, oldest first), `loaded_sha256(table, day, symbol)` (current sha256 or
  None) and `loaded_sha256s(table, ...)` (many partitions in one query, for sensors).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from binance_assets.warehouse.conform import DayRef, check_symbol, parse_day
from binance_assets.warehouse.errors import PartitionDataError
from binance_assets.warehouse.tables import (
    LOAD_LOG_PARTITION,
    LOAD_LOG_SCHEMA,
    LOAD_LOG_TABLE,
    RAW_SCHEMA,
    RawTable,
    create_load_log_sql,
    get_raw_table,
    quote_ident,
)

LOAD_LOG = f"{RAW_SCHEMA}.{LOAD_LOG_TABLE}"
_COLUMNS = ", ".join(quote_ident(c) for c in LOAD_LOG_SCHEMA.names)
_PARTITION_WHERE = " AND ".join(f"{c} = ?" for c in LOAD_LOG_PARTITION)


@dataclass(frozen=True)
class LoadRecord:
    """Where a partition's data came from; stored in `raw.load_log` with the partition.

    `source_url` and `sha256` (of the archive bytes that were parsed) are stored as given. `rows`,
    `first_id`, `last_id`, `first_time`, `last_time` are optional: the warehouse computes them from
    the data; when given they must match what it computes.
    """

    source_url: str | None = None
    sha256: str | None = None
    first_id: int | None = None
    last_id: int | None = None
    first_time: dt.datetime | None = None
    last_time: dt.datetime | None = None
    rows: int | None = None


@dataclass(frozen=True)
class PartitionStats:
    rows: int
    first_id: int | None
    last_id: int | None
    first_time: dt.datetime | None
    last_time: dt.datetime | None


def _scalar(value: pa.Scalar) -> Any:
    return value.as_py() if value is not None else None


def compute_stats(table: RawTable, data: pa.Table) -> PartitionStats:
    first_id = last_id = first_time = last_time = None
    if data.num_rows:
        if table.id_column is not None:
            mm = pc.min_max(data.column(table.id_column))
            first_id, last_id = _scalar(mm["min"]), _scalar(mm["max"])
        mm = pc.min_max(data.column(table.time_column))
        first_time, last_time = _scalar(mm["min"]), _scalar(mm["max"])
    return PartitionStats(data.num_rows, first_id, last_id, first_time, last_time)


def _naive_utc(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def check_load_record(table: RawTable, load: LoadRecord, stats: PartitionStats) -> None:
    if not isinstance(load, LoadRecord):
        raise PartitionDataError(f"load must be a LoadRecord, not {type(load).__name__}")
    for name in ("rows", "first_id", "last_id", "first_time", "last_time"):
        given = _naive_utc(getattr(load, name))
        if given is not None and given != getattr(stats, name):
            raise PartitionDataError(
                f"LoadRecord.{name}={given!r} does not match the data for {table.qualified_name} "
                f"({getattr(stats, name)!r})"
            )


def load_log_row(table: RawTable, symbol: str, day: dt.date, stats: PartitionStats, load: LoadRecord) -> dict:
    """The load_log row of a load (version and superseded_at are set when it is written)."""
    return {
        "table_name": table.name,
        "symbol": symbol,
        "trade_date": day,
        "rows": stats.rows,
        "first_id": stats.first_id,
        "last_id": stats.last_id,
        "first_time": stats.first_time,
        "last_time": stats.last_time,
        "source_url": load.source_url,
        "sha256": load.sha256,
        "loaded_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }


class LoadLogMixin:
    """The load_log half of `Warehouse` (uses its `_execute`, `_query_arrow`, `_table_columns`, ...)."""

    # --- reading ---------------------------------------------------------------------------------

    def load_log(self, table: Any, symbol: str, day: DayRef) -> dict[str, Any] | None:
        """The current version's `raw.load_log` row of the partition as a dict, or None."""
        rows = self._load_log_rows(table, day, symbol, current_only=True)
        return rows[0] if rows else None

    def load_log_history(self, table: Any, day: DayRef, symbol: str) -> list[dict[str, Any]]:
        """Every loaded version of the partition, oldest first; the last one is current
        (`superseded_at` None) unless the list is empty."""
        return self._load_log_rows(table, day, symbol, current_only=False)

    def loaded_sha256(self, table: Any, day: DayRef, symbol: str) -> str | None:
        """The sha256 of the archive bytes the current version of the partition was parsed from;
        None if the partition was never loaded (or was loaded without a sha256)."""
        current = self._load_log_rows(table, day, symbol, current_only=True)
        return current[0]["sha256"] if current else None

    def loaded_sha256s(
        self,
        table: Any,
        *,
        symbols: Sequence[str] | None = None,
        start: DayRef | None = None,
        end: DayRef | None = None,
    ) -> dict[tuple[dt.date, str], str | None]:
        """{(day, symbol): current sha256} of every loaded partition of `table` in one query,
        optionally limited to `symbols` and days in [start, end]."""
        raw = get_raw_table(table)
        sql = f"SELECT trade_date, symbol, sha256 FROM {LOAD_LOG} WHERE table_name = ? AND superseded_at IS NULL"
        params: list[Any] = [raw.name]
        if symbols is not None:
            symbols = [check_symbol(s) for s in ([symbols] if isinstance(symbols, str) else symbols)]
            if not symbols:
                return {}
            sql += f" AND symbol IN ({', '.join('?' for _ in symbols)})"
            params += symbols
        if start is not None:
            sql += " AND trade_date >= ?"
            params.append(parse_day(start))
        if end is not None:
            sql += " AND trade_date <= ?"
            params.append(parse_day(end))
        self._ensure_schema_once()
        rows = self._query_arrow(sql, params).to_pylist()
        return {(r["trade_date"], r["symbol"]): r["sha256"] for r in rows}

    def load_logs(self, table: Any, day: DayRef, symbols: Sequence[str]) -> dict[str, dict[str, Any]]:
        """{symbol: current load_log row} of the partitions of `symbols` on `day` that were loaded (one query)."""
        raw = get_raw_table(table)
        day = parse_day(day)
        symbols = [check_symbol(s) for s in symbols]
        if not symbols:
            return {}
        self._ensure_schema_once()
        result = self._query_arrow(
            f"SELECT {_COLUMNS} FROM {LOAD_LOG} WHERE table_name = ? AND trade_date = ? AND superseded_at IS NULL "
            f"AND symbol IN ({', '.join('?' for _ in symbols)})",
            [raw.name, day, *symbols],
        )
        return {row["symbol"]: row for row in result.to_pylist()}

    def _load_log_rows(self, table: Any, day: DayRef, symbol: str, *, current_only: bool) -> list[dict[str, Any]]:
        raw = get_raw_table(table)
        day = parse_day(day)  # first: swapped (day, symbol) arguments fail on the day, clearly
        params = [raw.name, check_symbol(symbol), day]
        current = " AND superseded_at IS NULL" if current_only else ""
        self._ensure_schema_once()
        result = self._query_arrow(
            f"SELECT {_COLUMNS} FROM {LOAD_LOG} WHERE {_PARTITION_WHERE}{current} ORDER BY version", params
        )
        return result.to_pylist()

    # --- writing (inside the publish transaction) -------------------------------------------------

    def _write_load_log(self, con: Any, row: dict[str, Any]) -> int:
        """Write the load's row (see the module docstring); returns the version now current."""
        key = [row[c] for c in LOAD_LOG_PARTITION]
        current = self._execute(
            con, f"SELECT version, sha256 FROM {LOAD_LOG} WHERE {_PARTITION_WHERE} AND superseded_at IS NULL", key
        ).to_pylist()
        same_file = row["sha256"] is not None and current and current[0]["sha256"] == row["sha256"]
        if same_file:  # the same file again: refresh the row
            updated = [c for c in LOAD_LOG_SCHEMA.names if c not in (*LOAD_LOG_PARTITION, "version", "superseded_at")]
            self._execute(
                con,
                f"UPDATE {LOAD_LOG} SET {', '.join(f'{quote_ident(c)} = ?' for c in updated)} "
                f"WHERE {_PARTITION_WHERE} AND version = ?",
                [*(row[c] for c in updated), *key, current[0]["version"]],
            )
            return int(current[0]["version"])
        latest = self._execute(con, f"SELECT max(version) AS v FROM {LOAD_LOG} WHERE {_PARTITION_WHERE}", key)
        version = (latest.column("v")[0].as_py() or 0) + 1
        if current:
            self._execute(
                con,
                f"UPDATE {LOAD_LOG} SET superseded_at = ? WHERE {_PARTITION_WHERE} AND version = ?",
                [row["loaded_at"], *key, current[0]["version"]],
            )
        values = row | {"version": version, "superseded_at": None}
        self._execute(
            con,
            f"INSERT INTO {LOAD_LOG} ({_COLUMNS}) VALUES ({', '.join('?' for _ in LOAD_LOG_SCHEMA.names)})",
            [values[c] for c in LOAD_LOG_SCHEMA.names],
        )
        return int(version)

    def _write_load_logs(self, con: Any, rows: list[dict[str, Any]]) -> list[int]:
        """`_write_load_log` for the loads of many symbols of one (table, day), in a few statements; returns
        each one's version now current."""
        if len(rows) == 1:
            return [self._write_load_log(con, rows[0])]
        table_name, day = rows[0]["table_name"], rows[0]["trade_date"]
        symbols = [row["symbol"] for row in rows]
        where = f"table_name = ? AND trade_date = ? AND symbol IN ({', '.join('?' for _ in symbols)})"
        sql = f"SELECT symbol, version, sha256, superseded_at FROM {LOAD_LOG} WHERE {where}"
        found = self._execute(con, sql, [table_name, day, *symbols]).to_pylist()
        latest: dict[str, int] = {}
        current: dict[str, dict[str, Any]] = {}
        for row in found:
            latest[row["symbol"]] = max(latest.get(row["symbol"], 0), row["version"])
            if row["superseded_at"] is None:
                current[row["symbol"]] = row
        versions, added, superseded = [], [], []
        for row in rows:
            now = current.get(row["symbol"])
            if row["sha256"] is not None and now and now["sha256"] == row["sha256"]:  # the same file again
                versions.append(self._write_load_log(con, row))
                continue
            if now:
                superseded.append(row["symbol"])
            version = latest.get(row["symbol"], 0) + 1
            added.append(row | {"version": version, "superseded_at": None})
            versions.append(version)
        if superseded:
            marks = ", ".join("?" for _ in superseded)
            self._execute(
                con,
                f"UPDATE {LOAD_LOG} SET superseded_at = ? WHERE table_name = ? AND trade_date = ? "
                f"AND superseded_at IS NULL AND symbol IN ({marks})",
                [rows[0]["loaded_at"], table_name, day, *superseded],
            )
        if added:
            values = ", ".join(f"({', '.join('?' for _ in LOAD_LOG_SCHEMA.names)})" for _ in added)
            self._execute(
                con,
                f"INSERT INTO {LOAD_LOG} ({_COLUMNS}) VALUES {values}",
                [row[c] for row in added for c in LOAD_LOG_SCHEMA.names],
            )
        return versions

    def _migrate_load_log(self) -> None:
        """Bring a load_log of the one-row-per-partition layout (before versions) to this one: its
        rows become version 1. Idempotent; cheap when there is nothing to do."""
        columns = self._table_columns(LOAD_LOG)
        if columns is None or "version" in {name for name, _ in columns}:
            return
        with self._partition_transaction(f"{LOAD_LOG}/migrate") as con:
            existing = {name for name, _ in (self._table_columns(LOAD_LOG, con) or [])}
            if "version" in existing:
                return
            old = f"{LOAD_LOG_TABLE}_before_versions"
            # Copy, not RENAME: the renamed table would keep the name of the primary key's index.
            self._execute(con, f"CREATE TABLE {RAW_SCHEMA}.{old} AS SELECT * FROM {LOAD_LOG}", None)
            self._execute(con, f"DROP TABLE {LOAD_LOG}", None)
            self._execute(con, create_load_log_sql(), None)
            copied = [c for c in LOAD_LOG_SCHEMA.names if c in existing]
            names = ", ".join(quote_ident(c) for c in copied)
            self._execute(
                con, f"INSERT INTO {LOAD_LOG} ({names}, version) SELECT {names}, 1 FROM {RAW_SCHEMA}.{old}", None
            )
            self._execute(con, f"DROP TABLE {RAW_SCHEMA}.{old}", None)


__all__ = [
    "LoadLogMixin",
    "LoadRecord",
    "PartitionStats",
    "check_load_record",
    "compute_stats",
    "load_log_row",
]
