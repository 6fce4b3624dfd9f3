"""Consistent, non-blocking reads of the warehouse while the pipeline writes it.

DuckDB (the embedded default) lets one process open its file for writing and no other process open
it meanwhile, not even read-only. The pipeline writes under the cross-process file lock of
`DuckDBWarehouse` (`<file>.lock`: partition replaces and dbt builds alike). The API therefore never
reads the live file: it serves a *snapshot*, a copy of the file taken while holding that lock (so a
copy is always a committed, published state), opened read-only by every worker and thread.

Each request `stat()`s the live file (microseconds). If it changed since the snapshot, the reader
tries the lock WITHOUT waiting: free means the pipeline published something, so it copies the file
to `<snapshot_dir>/<stamp>.duckdb` (the first worker copies, the others find it) and switches;
taken means a write is in progress, so the last published snapshot is served and the next request
tries again. A request is never blocked by a long load or dbt build, and never sees half of one.
The snapshot's stamp (the live file's mtime, size and inode at copy time) is the version token the
response cache keys on.

PostgreSQL (ci, prod) needs none of this: every request reads in one REPEATABLE READ transaction, and
its version token is the warehouse's publish record (`raw.publish_log`), read in that transaction.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
import filelock
import pyarrow as pa

from binance_assets.warehouse.tables import PUBLISH_LOG_TABLE, PUBLISH_VERSION_SQL, RAW_SCHEMA

log = logging.getLogger("binance_api.warehouse")
SNAPSHOT_SUFFIX = ".duckdb"
KEEP_OLD_SNAPSHOTS_SECONDS = 120.0


class WarehouseUnavailable(RuntimeError):
    """No published warehouse to serve yet (no file, or it stayed locked past the first wait)."""


class ReadSession(Protocol):
    version: str

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table: ...


class Reader(Protocol):
    def session(self) -> Any: ...  # context manager yielding a ReadSession

    def version(self) -> str: ...

    def ensure_database(self) -> str | None: ...  # None, or the one line that says what to run

    def close(self) -> None: ...


@dataclass
class _Snapshot:
    stamp: str
    path: Path
    con: duckdb.DuckDBPyConnection
    local: threading.local = field(default_factory=threading.local)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self.local, "cursor", None)
        if cur is None:
            cur = self.con.cursor()  # DuckDB connections are not thread-safe: one cursor per thread
            self.local.cursor = cur
        return cur


@dataclass
class DuckDBSession:
    """One request's view: one snapshot. The cursor is taken per call in the calling thread (FastAPI
    enters a dependency and runs the endpoint in different pool threads; a DuckDB connection refuses
    concurrent calls)."""

    version: str
    _snapshot: _Snapshot

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        relation = self._snapshot.cursor().sql(sql, params=list(params) if params is not None else None)
        return relation.to_arrow_table() if relation is not None else pa.table({})


def file_stamp(path: Path) -> str | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return f"{st.st_mtime_ns:x}-{st.st_size:x}-{st.st_ino:x}"


class DuckDBSnapshotReader:
    """Serves read-only snapshots of the DuckDB warehouse file at `source` (see the module doc)."""

    def __init__(self, source: Path, snapshot_dir: Path, *, first_wait_seconds: float = 30.0) -> None:
        self.source = Path(source).expanduser().resolve()
        self.lock_path = Path(f"{self.source}.lock")  # the lock DuckDBWarehouse writes under
        self.snapshot_dir = Path(snapshot_dir)
        self.first_wait_seconds = first_wait_seconds
        self._current: _Snapshot | None = None
        self._mutex = threading.Lock()
        self.refreshes = 0
        self.deferred = 0  # refreshes put off because a write was in progress

    def version(self) -> str:
        return self._snapshot().stamp

    @contextmanager
    def session(self) -> Iterator[DuckDBSession]:
        snap = self._snapshot()
        yield DuckDBSession(snap.stamp, snap)

    def current_session(self) -> DuckDBSession | None:
        """The session without any blocking work (a stat), or None when a new snapshot may be due."""
        current = self._current
        if current is not None and file_stamp(self.source) == current.stamp:
            return DuckDBSession(current.stamp, current)
        return None

    def _snapshot(self) -> _Snapshot:
        current = self._current
        if current is not None and file_stamp(self.source) == current.stamp:
            return current
        with self._mutex:
            current = self._current
            stamp = file_stamp(self.source)
            if current is not None and stamp == current.stamp:
                return current
            if stamp is None:
                if current is not None:
                    return current
                raise WarehouseUnavailable(f"no warehouse at {self.source} (run the pipeline, e.g. `make demo`)")
            wait = 0.0 if current is not None else self.first_wait_seconds
            fresh = self._take_snapshot(wait)
            if fresh is None:  # a write is in progress: keep serving the last published state
                self.deferred += 1
                if current is None:
                    raise WarehouseUnavailable(
                        f"the warehouse {self.source} stayed locked by a writer for {wait:g}s; try again later"
                    )
                return current
            self._current = fresh
            self.refreshes += 1
            return fresh

    def _take_snapshot(self, wait: float) -> _Snapshot | None:
        lock = filelock.FileLock(self.lock_path, is_singleton=True)
        try:
            lock.acquire(timeout=wait)
        except filelock.Timeout:
            return None
        try:
            stamp = file_stamp(self.source)  # under the lock: a committed state
            if stamp is None:
                return None
            path = self.snapshot_dir / f"{stamp}{SNAPSHOT_SUFFIX}"
            if not path.exists():
                self.snapshot_dir.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                shutil.copyfile(self.source, tmp)
                wal = Path(f"{self.source}.wal")
                if wal.exists():  # left by a process that did not close cleanly: part of the state
                    shutil.copyfile(wal, Path(f"{tmp}.wal"))
                    os.replace(Path(f"{tmp}.wal"), Path(f"{path}.wal"))
                os.replace(tmp, path)
        finally:
            lock.release()
        con = duckdb.connect(str(path), read_only=True)
        self._prune(keep=path)
        return _Snapshot(stamp, path, con)

    def _prune(self, keep: Path) -> None:
        now = time.time()
        for old in self.snapshot_dir.glob(f"*{SNAPSHOT_SUFFIX}*"):
            if old.name.startswith(keep.name) or old.name.startswith("."):
                continue
            try:
                if now - old.stat().st_mtime > KEEP_OLD_SNAPSHOTS_SECONDS:
                    old.unlink()
            except FileNotFoundError:
                pass

    def ensure_database(self) -> str | None:
        """Nothing to create: the DuckDB file is the database (the pipeline writes it; before that, reads
        report the warehouse unavailable)."""
        return None

    def close(self) -> None:
        if self._current is not None:
            self._current.con.close()
            self._current = None


@dataclass
class PostgresSession:
    version: str
    _conn: Any
    _warehouse: Any

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        return self._warehouse._execute(self._conn, sql, params)


# The version the PostgreSQL warehouse publishes (raw.publish_log: bumped in the transaction of every
# partition replace, raw or derived, and after every dbt build). One primary-key read.
PG_VERSION_SQL = PUBLISH_VERSION_SQL


class PostgresReader:
    """Each session is one REPEATABLE READ, read-only transaction: one consistent state per request.

    The connections come from a pool (psycopg_pool, per worker, opened on first use) instead of one new
    connection per request; each is set to REPEATABLE READ and read-only once when the pool opens it, and
    every session is its own transaction on it (BEGIN ... COMMIT), so each request still reads one state."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8) -> None:
        from psycopg_pool import ConnectionPool

        from binance_assets.warehouse.postgres_warehouse import PostgresWarehouse

        self.warehouse = PostgresWarehouse(url)
        self.pool = ConnectionPool(
            self.warehouse._conninfo(), min_size=min_size, max_size=max(max_size, min_size, 1),
            timeout=float(self.warehouse.connect_timeout), configure=self._configure, open=False,
            name="binance-api-warehouse",
        )
        self._open_lock = threading.Lock()
        self._opened = False

    @staticmethod
    def _configure(conn) -> None:
        import psycopg

        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True

    def version(self) -> str:
        with self.session() as s:
            return s.version

    def ensure_database(self) -> str | None:
        """Before serving: the warehouse's database exists, created (empty) if it was missing and the role may,
        the pipeline's rule (binance_assets.warehouse.pg_database). None then, and also when the server does not
        answer now (/health/ready reports that); else the one line that says what to run."""
        import psycopg

        from binance_assets.warehouse.postgres_warehouse import DatabaseMissing

        try:
            if self.warehouse.ensure_database():
                log.warning("created the warehouse's empty database: %r (run the pipeline to fill it)", self.warehouse)
        except DatabaseMissing as exc:
            return str(exc)
        except psycopg.OperationalError as exc:
            log.warning("the warehouse does not answer at startup: %s", " ".join(str(exc).split()))
        return None

    @contextmanager
    def session(self) -> Iterator[PostgresSession]:
        import psycopg

        if not self._opened:
            with self._open_lock:
                if not self._opened:
                    self.pool.open()
                    self._opened = True
        with self.pool.connection() as conn, conn.transaction():
            try:
                rows = self.warehouse._execute(conn, PG_VERSION_SQL, None).to_pylist()
            except psycopg.errors.UndefinedTable:
                raise WarehouseUnavailable(
                    f"the warehouse has no {RAW_SCHEMA}.{PUBLISH_LOG_TABLE} yet (run the pipeline)"
                ) from None
            yield PostgresSession(f"pg-{rows[0]['version'] if rows else 0}", conn, self.warehouse)

    def close(self) -> None:
        with self._open_lock:
            if self._opened:
                self.pool.close()
                self._opened = False

def table_exists(session: ReadSession, table: str) -> bool:
    """Whether `table` (`schema.name`) exists in the session's warehouse (DuckDB and PostgreSQL alike)."""
    schema, name = table.split(".", 1)
    rows = session.query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    )
    return rows.column(0)[0].as_py() > 0
