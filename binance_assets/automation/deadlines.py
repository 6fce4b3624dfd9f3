"""Raw-archive deadlines, pure (one read of `raw.load_log` aside). No Dagster imports.

Binance publishes the archive files of UTC day D some hours after midnight of D+1. Day D of every raw
table and symbol is due `due_hours` after that midnight (setting `raw_due_hours_after_midnight`,
default 6). `evaluate_raw_deadlines` judges the `lookback_days` most recent due days (and the pending
ones) against `raw.load_log`; the check built on it is in binance_assets.automation.deadline_checks.
A day older than the look-back window is no longer judged (filling old gaps is the catch-up
schedule's business, not an alert's).

`utc_now()` is the clock of the deadline check and its sensor: tests monkeypatch it here.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from binance_assets.binance.publication import ARRIVALS_SQL, arrived_late, as_utc, check_due_hours, deadline_for
from binance_assets.lib.partitions import DaySymbol
from binance_assets.warehouse import Warehouse, get_raw_table
from binance_assets.warehouse.tables import LOAD_LOG_TABLE, RAW_SCHEMA

DEFAULT_DUE_HOURS = 6.0
DEFAULT_LOOKBACK_DAYS = 3


def utc_now() -> dt.datetime:
    """The clock of the deadline check and its sensor: monkeypatch it in tests."""
    return dt.datetime.now(dt.UTC)


class DeadlineStatus(StrEnum):
    ON_TIME = "on_time"  # in raw.load_log, loaded at or before its deadline
    LOADED_LATE = "loaded_late"  # in raw.load_log, but arrived late (`publication.arrived_late`)
    MISSING = "missing"  # deadline passed, not in raw.load_log: late
    PENDING = "pending"  # not in raw.load_log, deadline not reached yet


@dataclass(frozen=True)
class DeadlineResult:
    """One (table, symbol, day) partition judged against its deadline at some `now`."""

    table: str
    symbol: str
    day: dt.date
    deadline: dt.datetime  # UTC, tz-aware
    due: bool  # the deadline is at or before `now`
    status: DeadlineStatus
    loaded_at: dt.datetime | None = None  # UTC, tz-aware: the partition's first load (its arrival)
    rows: int | None = None
    overdue_seconds: float | None = None  # only for MISSING

    @property
    def partition_key(self) -> str:
        """The (day, symbol) this result is about, e.g. `2025-01-04|BTCUSDT` (the raw assets' partition is the day)."""
        return DaySymbol(self.day, self.symbol).label()

    @property
    def is_late(self) -> bool:
        return self.status is DeadlineStatus.MISSING


def latest_due_day(now: dt.datetime, due_hours: float) -> dt.date:
    """The most recent day whose deadline is at or before `now`."""
    shifted = as_utc(now) - dt.timedelta(hours=check_due_hours(due_hours))
    return shifted.date() - dt.timedelta(days=1)


def days_to_check(
    now: dt.datetime, due_hours: float, lookback_days: int = DEFAULT_LOOKBACK_DAYS, start_date: dt.date | None = None
) -> tuple[list[dt.date], list[dt.date]]:
    """(due days, pending days), oldest first.

    Due days: the `lookback_days` most recent days whose deadline has passed. Pending days: later days
    that are over (their UTC midnight has passed) but not due yet. Days before `start_date` (the first
    partition) are left out.
    """
    if lookback_days < 1:
        raise ValueError(f"lookback_days must be >= 1, got {lookback_days}")
    now = as_utc(now)
    last_due = latest_due_day(now, due_hours)
    due = [last_due - dt.timedelta(days=i) for i in reversed(range(lookback_days))]
    pending = []
    day = last_due + dt.timedelta(days=1)
    while dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC) <= now:
        pending.append(day)
        day += dt.timedelta(days=1)
    if start_date is not None:
        due = [d for d in due if d >= start_date]
        pending = [d for d in pending if d >= start_date]
    return due, pending


def _py_datetime(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        if value != value:  # NaT
            return None
        value = value.to_pydatetime()
    return as_utc(value)


def loaded_partitions(
    warehouse: Warehouse, first: dt.date, last: dt.date
) -> dict[tuple[str, str, dt.date], tuple[dt.datetime | None, int | None, dt.datetime | None]]:
    """(table, symbol, day) -> (first load, rows of the current version, first load of the table and symbol):
    what `publication.arrived_late` judges, read by `publication.ARRIVALS_SQL`."""
    frame = warehouse.query(ARRIVALS_SQL.format(load_log=f"{RAW_SCHEMA}.{LOAD_LOG_TABLE}"), [first, last])
    loaded = {}
    for row in frame.to_dict(orient="records"):
        day = row["trade_date"]
        if isinstance(day, dt.datetime):
            day = day.date()
        rows = row["rows"]
        loaded[(row["table_name"], row["symbol"], day)] = (
            _py_datetime(row["arrived_at"]),
            None if rows is None or rows != rows else int(rows),
            _py_datetime(row["expected_since"]),
        )
    return loaded


def evaluate_raw_deadlines(
    warehouse: Warehouse,
    tables: Iterable[str],
    symbols: Iterable[str] | Callable[[dt.date], list[str]],
    now: dt.datetime,
    due_hours: float = DEFAULT_DUE_HOURS,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    *,
    start_date: dt.date | None = None,
) -> list[DeadlineResult]:
    """Judge every (table, symbol, day) of the due and pending days (`days_to_check`) at `now`.

    Pure except for one read of `raw.load_log`. A due partition that is not there is MISSING (late);
    one that is there is ON_TIME or LOADED_LATE (`publication.arrived_late`: history loaded by a backfill
    is on time); a partition whose deadline has
    not passed is PENDING until it is loaded. Results are ordered by table, symbol and day. `symbols`: the same
    for every day, or the day's universe (`day -> symbols`: a symbol is expected from its listing to its delisting).
    """
    now = as_utc(now)
    table_names = sorted({get_raw_table(t).name for t in tables})
    if callable(symbols):
        symbols_on = symbols
    else:
        fixed = sorted(set(symbols))
        def symbols_on(day: dt.date) -> list[str]:
            return fixed
    due_days, pending_days = days_to_check(now, due_hours, lookback_days, start_date)
    days = due_days + pending_days
    expected = {day: sorted(set(symbols_on(day))) for day in days}
    symbol_list = sorted({s for day_symbols in expected.values() for s in day_symbols})
    if not (table_names and symbol_list and days):
        return []
    loaded = loaded_partitions(warehouse, min(days), max(days))
    results = []
    for table in table_names:
        for symbol in symbol_list:
            for day in days:
                if symbol not in expected[day]:
                    continue  # not listed yet, or delisted: not expected that day
                deadline = deadline_for(day, due_hours)
                due = deadline <= now
                loaded_at, rows, expected_since = loaded.get((table, symbol, day), (None, None, None))
                overdue = None
                if (table, symbol, day) in loaded:
                    late = loaded_at is not None and arrived_late(day, loaded_at, expected_since or loaded_at,
                                                                  due_hours)
                    status = DeadlineStatus.LOADED_LATE if late else DeadlineStatus.ON_TIME
                elif due:
                    status = DeadlineStatus.MISSING
                    overdue = (now - deadline).total_seconds()
                else:
                    status = DeadlineStatus.PENDING
                results.append(DeadlineResult(table, symbol, day, deadline, due, status, loaded_at, rows, overdue))
    return results

