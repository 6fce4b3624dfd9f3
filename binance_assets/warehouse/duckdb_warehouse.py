"""The DuckDB warehouse: one local file, short-lived connections, one process at a time.

DuckDB lets a single process open a database file for writing, and no other process may open it
meanwhile (not even read-only). Several Dagster run processes therefore serialise on a cross-process
`filelock.FileLock` at `<path>.lock`, taken around EVERY connection (reads included) and released
only after the connection is closed. Waiting is bounded by `lock_timeout` (generous by default);
running out raises `WarehouseLockTimeout` naming the lock file. Processes that open the file without
that lock (a DuckDB CLI, a notebook, dbt run outside `lock()`) can still make opening fail with
DuckDB's "Could not set lock on file": that is retried until the same deadline.

Other code that opens the file itself (e.g. a dbt-duckdb invocation) should hold `lock()` meanwhile.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import duckdb
import filelock
import numpy as np
import pyarrow as pa

from binance_assets.warehouse.base import Warehouse, WarehouseLockTimeout
from binance_assets.warehouse.tables import (
    LOAD_LOG_TABLE,
    PARTITION_COLUMNS,
    PUBLISH_LOG_TABLE,
    RAW_SCHEMA,
    RAW_TABLES,
    STAGING_SCHEMA,
    create_load_log_sql,
    create_publish_log_sql,
    create_table_sql,
    quote_ident,
    quote_table,
)
from binance_assets.warehouse.universe import SYMBOL_UNIVERSE_TABLE, create_symbol_universe_sql

DEFAULT_LOCK_TIMEOUT = 600.0  # seconds: a replace of a big day can take a while
_DATA_VIEW = "__bmp_partition_data"
_FOREIGN_LOCK = re.compile(r"could not set lock on file", re.IGNORECASE)
# For an insert, on every core (DuckDB's default threads): rows in any order (a table's rows have none: every
# reader orders them), and DuckDB's buffer pool capped, so that the blocks the insert writes are not also kept
# in memory: with 2 threads and neither setting, a 2 M-trade load peaked at 424-429 MB (one thread: 386-390 MB).
# Both are database-wide, which is safe here: `connect()` lets one connection at a time use the file.
_INSERT_SETTINGS = (("preserve_insertion_order", "false"), ("memory_limit", "'64MB'"))


class DuckDBWarehouse(Warehouse):
    engine = "duckdb"

    def __init__(self, path: Path | str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        super().__init__()
        self.path = Path(path).expanduser().resolve()
        self.lock_timeout = float(lock_timeout)
        self._held: tuple[int, duckdb.DuckDBPyConnection] | None = None  # (thread, connection) of `hold()`

    def __repr__(self) -> str:
        return f"DuckDBWarehouse({str(self.path)!r})"

    @property
    def lock_path(self) -> Path:
        return Path(f"{self.path}.lock")

    # --- connections ---------------------------------------------------------------------------

    @contextmanager
    def lock(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the cross-process lock of this warehouse file (re-entrant within a thread)."""
        timeout = self.lock_timeout if timeout is None else timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One lock object per path and process (is_singleton): re-entrant for nested use in a
        # thread, while other threads and processes wait for it.
        file_lock = filelock.FileLock(self.lock_path, is_singleton=True)
        try:
            file_lock.acquire(timeout=timeout)
        except filelock.Timeout:
            raise WarehouseLockTimeout(
                f"could not lock the DuckDB warehouse {self.path} within {timeout:g}s: another "
                f"process keeps {self.lock_path} locked (a long load, a dbt run or a stuck run); "
                "retry later or raise lock_timeout"
            ) from None
        try:
            yield
        finally:
            file_lock.release()

    @contextmanager
    def _stage_lock(self, key: str) -> Iterator[None]:
        """One stage lock per warehouse file: DuckDB has one writer at a time anyway. A killed
        process's lock is released by the OS (the lock file itself stays, unlocked)."""
        stage_lock = filelock.FileLock(f"{self.path}.stage.lock", is_singleton=True)
        try:
            stage_lock.acquire(timeout=self.lock_timeout)
        except filelock.Timeout:
            raise WarehouseLockTimeout(
                f"could not take the stage lock {self.path}.stage.lock within {self.lock_timeout:g}s ({key}): "
                "another load is staging or publishing"
            ) from None
        try:
            yield
        finally:
            stage_lock.release()

    def exclusive(self) -> AbstractContextManager[None]:
        """DuckDB has one writing process at a time: dbt runs under this warehouse's file lock."""
        return self.lock()

    @contextmanager
    def hold(self) -> Iterator[None]:
        """One connection (and the file lock) for every call of this thread in the block, instead of one
        each: a day's many small publishes. Other threads' calls wait for the file lock meanwhile."""
        if self._held is not None and self._held[0] == threading.get_ident():
            yield
            return
        with self.connect() as con:
            self._held = (threading.get_ident(), con)
            try:
                yield
            finally:
                self._held = None

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh connection to the file, held under the file lock, closed on exit (inside `hold()`: the
        held one, left open)."""
        held = self._held
        if held is not None and held[0] == threading.get_ident():
            yield held[1]
            return
        deadline = time.monotonic() + self.lock_timeout
        with self.lock():
            con = self._open(deadline)
            try:
                yield con
            finally:
                con.close()

    def _open(self, deadline: float) -> duckdb.DuckDBPyConnection:
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                if not _FOREIGN_LOCK.search(str(exc)):
                    raise
                if time.monotonic() + delay > deadline:
                    raise WarehouseLockTimeout(
                        f"DuckDB file {self.path} stayed locked by a process that does not use "
                        f"{self.lock_path} (close other DuckDB sessions on it): {exc}"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    # --- engine hooks --------------------------------------------------------------------------

    def _schema_identity(self) -> tuple | None:
        """The file itself (device and inode): a warehouse deleted and made again is ensured again."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return ("duckdb", str(self.path), stat.st_dev, stat.st_ino)

    def _create_schema(self) -> None:
        with self.connect() as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {STAGING_SCHEMA}")
            for table in RAW_TABLES.values():
                con.execute(create_table_sql(table.qualified_name, table.arrow_schema))
            con.execute(create_load_log_sql())
            con.execute(create_publish_log_sql())
            con.execute(create_symbol_universe_sql())

    def _drop_tables(self) -> None:
        with self.connect() as con:
            for table in RAW_TABLES.values():
                con.execute(f"DROP TABLE IF EXISTS {table.qualified_name}")
            con.execute(f"DROP TABLE IF EXISTS {RAW_SCHEMA}.{LOAD_LOG_TABLE}")
            con.execute(f"DROP TABLE IF EXISTS {RAW_SCHEMA}.{PUBLISH_LOG_TABLE}")
            con.execute(f"DROP TABLE IF EXISTS {quote_table(SYMBOL_UNIVERSE_TABLE)}")
            con.execute(f"DROP SCHEMA IF EXISTS {STAGING_SCHEMA} CASCADE")

    @contextmanager
    def _partition_transaction(self, key: str) -> Iterator[duckdb.DuckDBPyConnection]:
        # The file lock held by connect() already keeps every other writer out.
        with self.connect() as con:
            con.begin()
            try:
                yield con
            except BaseException:
                con.rollback()
                _reset_insert_settings(con)  # a failed insert left them set (a held connection goes on)
                raise
            con.commit()

    def _insert_rows(
        self, con: duckdb.DuckDBPyConnection, table: str, symbol: str, day: dt.date, data: pa.Table
    ) -> None:
        target = ", ".join(quote_ident(c) for c in [*PARTITION_COLUMNS, *data.column_names])
        source = ", ".join(["?::VARCHAR", "?::DATE", *(quote_ident(c) for c in data.column_names)])
        self._insert_view(con, f"INSERT INTO {quote_table(table)} ({target}) SELECT {source} FROM {_DATA_VIEW}",
                          [symbol, day], data)  # fmt: skip

    def _insert_view(self, con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], data: pa.Table) -> None:
        """Run `sql` reading `data` as the view `_DATA_VIEW`, under `_INSERT_SETTINGS` (DuckDB's own advice for
        big loads, "Tuning Workloads"): measured on 2 M trades, 2-core machine, the insert took 0.21 s instead
        of 0.37 s on one thread, and the whole load peaked at 377-385 MB instead of 386-390 MB."""
        for name, value in _INSERT_SETTINGS:
            con.execute(f"SET {name} = {value}")
        con.register(_DATA_VIEW, data)
        con.execute(sql, params)
        # Not in a `finally`: after a failed statement DuckDB refuses everything but ROLLBACK (and would mask the
        # real error); `_partition_transaction` rolls back, then resets the settings.
        con.unregister(_DATA_VIEW)
        _reset_insert_settings(con)

    def _insert_many(
        self, con: duckdb.DuckDBPyConnection, table: str, day: dt.date, symbols: Sequence[str],
        datas: Sequence[pa.Table],
    ) -> None:  # fmt: skip
        """Every symbol's rows in one INSERT: their tables side by side, the symbol a dictionary column."""
        if len(datas) == 1:
            self._insert_rows(con, table, symbols[0], day, datas[0])
            return
        names = pa.array(symbols, pa.string())
        codes = [pa.array(np.full(data.num_rows, k, dtype=np.int32)) for k, data in enumerate(datas)]
        symbol = pa.chunked_array([pa.DictionaryArray.from_arrays(c, names) for c in codes])
        rows = pa.concat_tables(datas).append_column("__symbol", symbol)
        target = ", ".join(quote_ident(c) for c in [*PARTITION_COLUMNS, *datas[0].column_names])
        source = ", ".join(["__symbol::VARCHAR", "?::DATE", *(quote_ident(c) for c in datas[0].column_names)])
        self._insert_view(con, f"INSERT INTO {quote_table(table)} ({target}) SELECT {source} FROM {_DATA_VIEW}",
                          [day], rows)  # fmt: skip

    def _execute(self, con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None) -> pa.Table:
        relation = con.sql(sql, params=list(params) if params is not None else None)
        if relation is None:
            return pa.table({})
        return relation.to_arrow_table()


def _reset_insert_settings(con: duckdb.DuckDBPyConnection) -> None:
    for name, _ in _INSERT_SETTINGS:
        con.execute(f"RESET {name}")
