"""The warehouse's own errors (no engine types here: each carries the engine's error as `__cause__`)."""

from __future__ import annotations


class WarehouseError(Exception):
    """Base class of the warehouse's own errors."""


class PartitionDataError(WarehouseError, ValueError):
    """The data handed to `replace_partition` does not fit the table (columns, types, LoadRecord)."""


class PartitionWriteError(WarehouseError):
    """The replace transaction failed and was rolled back: the previous copy is untouched."""


class WarehouseLockTimeout(WarehouseError, TimeoutError):
    """The DuckDB file lock could not be taken in time (another process kept the warehouse busy)."""


class TableNotFoundError(WarehouseError, KeyError):
    """`read_table` of a table that does not exist (yet)."""


class PartitionRejected(WarehouseError):
    """A staged partition failed its blocking checks and was not published (the previous copy stays)."""


class DatabaseMissing(WarehouseError):
    """The PostgreSQL database does not exist and this role may not create it; the message (one line)
    says what to run."""


__all__ = [
    "DatabaseMissing",
    "PartitionDataError",
    "PartitionRejected",
    "PartitionWriteError",
    "TableNotFoundError",
    "WarehouseError",
    "WarehouseLockTimeout",
]
