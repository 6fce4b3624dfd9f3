"""What the dashboard's routes share: one warehouse read per request, Dagster's check storage, the raw-data
deadline, bad-request answers, day parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.responses import JSONResponse

from binance_api.dashboard.dagster_storage import CheckStore
from binance_api.state import Services
from binance_assets.warehouse.snapshots import ReadSession


@contextmanager
def read(services: Services) -> Iterator[ReadSession]:
    """One consistent read of the warehouse, opened in the thread that uses it (DuckDB cursors are per thread)."""
    with services.reader.session() as session:
        yield session


def store(services: Services) -> CheckStore:
    return CheckStore(services.config.dagster_storage)


def due_hours(services: Services) -> float:
    return float(services.config.core.raw_due_hours_after_midnight)


def bad(reason: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": "bad_request", "reason": reason}, status_code=status)


def parse_day(value: str | None, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a date YYYY-MM-DD, got {value!r}") from None
