"""When Binance's daily archives are due: the one rule shared by the pipeline's deadline checks, its
poller and sensors, and the dashboard (which imports no Dagster). Pure, no Dagster imports.

Binance publishes the archive files of UTC day D some hours after midnight of D+1; day D of every raw
table and symbol is due `due_hours` after that midnight (setting `raw_due_hours_after_midnight`).
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
