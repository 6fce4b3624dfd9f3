"""When Binance's daily archives are due: the one rule shared by the pipeline's deadline checks, its
poller and sensors, and the dashboard (which imports no Dagster). Pure, no Dagster imports.

Binance publishes the archive files of UTC day D some hours after midnight of D+1; day D of every raw
table and symbol is due `due_hours` after that midnight (setting `raw_due_hours_after_midnight`). A day
that arrives after its deadline while the platform was waiting for it is late (`arrived_late`); history
loaded by a backfill is not.
"""

import datetime as dt


def check_due_hours(due_hours: float) -> float:
    if due_hours < 0:
        raise ValueError(f"due_hours must be >= 0, got {due_hours}")
    return float(due_hours)


def deadline_for(day: dt.date, due_hours: float) -> dt.datetime:
    """When day `day`'s files are due: `due_hours` after midnight UTC of the next day."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return midnight + dt.timedelta(hours=check_due_hours(due_hours))


def arrived_late(day: dt.date, arrived_at: dt.datetime, expected_since: dt.datetime, due_hours: float) -> bool:
    """Whether day `day` of a table and symbol arrived late: the one lateness rule of the deadline check and
    the dashboard.

    Late means the day arrived after its deadline *while the platform was waiting for it*: `arrived_at`
    (the first load of the partition, `ARRIVALS_SQL`) is after the deadline, and the deadline passed after
    `expected_since` (the first load of that table and symbol: before it the platform was not expecting the
    symbol at all). A day whose deadline had passed before then is history, loaded by a backfill, never late.
    Tz-aware UTC datetimes, or naive ones taken as UTC."""
    deadline = deadline_for(day, due_hours)
    return as_utc(arrived_at) > deadline and deadline > as_utc(expected_since)


# What `arrived_late` reads from the warehouse's load log (table name given): per partition its first load
# (`arrived_at`, over every archive version), the rows of its current version, and when the platform started
# expecting its table and symbol (`expected_since`, the first load of the pair over the whole log). Bind the
# first and last day of the range (inclusive). DuckDB and PostgreSQL alike.
ARRIVALS_SQL = """
SELECT * FROM (
    SELECT table_name, symbol, trade_date, min(loaded_at) AS arrived_at,
           max(CASE WHEN superseded_at IS NULL THEN "rows" END) AS "rows",
           min(min(loaded_at)) OVER (PARTITION BY table_name, symbol) AS expected_since
    FROM {load_log} GROUP BY table_name, symbol, trade_date
) AS arrivals WHERE trade_date >= ? AND trade_date <= ?
"""


def as_utc(moment: dt.datetime) -> dt.datetime:
    """`moment` as a tz-aware UTC datetime (a naive one is taken to be UTC already)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
