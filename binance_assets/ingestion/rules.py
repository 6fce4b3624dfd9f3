"""The row checks of a raw partition: ONE implementation for the raw assets and `validate-archive`.

No Dagster here. Blocking checks decide whether a staged partition may be published:

* `pandera_schema`: the table's pandera model (types, nulls, price and quantity > 0, time inside
  the partition's UTC day, ...; see `schemas.py`);
* `unique_ids`: no trade id (aggTrade id; klines: open time) appears twice
  (`binance_assets.binance.duplicates.duplicate_values`).

`id_continuity` only warns: ids run without holes inside the day and on from the previous day's
last id (exchange outages make real gaps).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from binance_assets.binance.duplicates import describe_duplicates, duplicate_values
from binance_assets.binance.schema import Market
from binance_assets.ingestion.schemas import find_id_gaps, validate_partition
from binance_assets.warehouse.tables import PARTITION_SCHEMA, RawTable

PANDERA_SCHEMA = "pandera_schema"
UNIQUE_IDS = "unique_ids"
ID_CONTINUITY = "id_continuity"
MAX_EXAMPLES = 20


@dataclass(frozen=True)
class CheckOutcome:
    """One check on one partition: `summary` is a one-line, human-readable statement of the result."""

    name: str
    passed: bool
    blocking: bool
    summary: str
    failure_count: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)


def unique_column(table: RawTable) -> str:
    """The column `unique_ids` checks: the id, or the open time for klines."""
    return table.id_column or table.time_column


def partition_frame(symbol: str, days: dt.date | pa.Array, data: pa.Table) -> pd.DataFrame:
    """Canonical archive rows plus the partition columns (`days`: the day of every row, or one for all), as
    the warehouse reads a partition back."""
    if isinstance(days, dt.date):
        days = pa.array([days] * data.num_rows, pa.date32())
    constants = [pa.array([symbol] * data.num_rows, pa.string()), days.cast(pa.date32())]
    with_partition = pa.Table.from_arrays(
        [*constants, *data.columns], names=["symbol", "trade_date", *data.column_names]
    )
    return with_partition.cast(pa.schema([*PARTITION_SCHEMA, *data.schema])).to_pandas()


def schema_check(
    table: RawTable, frame: pd.DataFrame, market: Market | None = None, interval: str = "1m"
) -> CheckOutcome:
    if frame.empty:
        return CheckOutcome(PANDERA_SCHEMA, False, True, "the partition has no rows", 1, {"rows": 0})
    outcome = validate_partition(table.name, frame, market=market, interval=interval)
    metadata: dict[str, Any] = {"rows": len(frame)}
    if outcome.passed:
        return CheckOutcome(PANDERA_SCHEMA, True, True, f"{len(frame)} rows fit the {table.name} model", 0, metadata)
    cases = outcome.failure_cases
    by_check = cases.groupby(["column", "check"], dropna=False).size().reset_index(name="failures")
    metadata |= {
        "failures_by_check": by_check.astype({"column": str, "check": str}).to_dict(orient="records"),
        "failure_cases": cases.head(MAX_EXAMPLES).astype(str).to_dict(orient="records"),
    }
    return CheckOutcome(PANDERA_SCHEMA, False, True, _schema_summary(cases), len(cases), metadata)


def _schema_summary(cases: pd.DataFrame, show: int = 4) -> str:
    """`3 schema failures: greater_than(0) on qty (1 row); trade_time_inside_partition_day (2 rows)`:
    one entry per failed rule, naming the column for column rules (dataframe rules list every column)."""
    parts = []
    for check, group in cases.groupby("check", sort=False):
        columns = group["column"].dropna().astype(str).unique()
        where = f" on {columns[0]}" if group["schema_context"].eq("Column").all() and len(columns) == 1 else ""
        rows = group["index"].nunique() if "index" in group else len(group)
        parts.append(f"{check}{where} ({rows} row{'s' if rows != 1 else ''})")
    more = f" (+{len(parts) - show} more rules)" if len(parts) > show else ""
    return f"{len(cases)} schema failures: {'; '.join(parts[:show])}{more}"


def unique_ids_check(table: RawTable, frame: pd.DataFrame) -> CheckOutcome:
    column = unique_column(table)
    duplicates = duplicate_values(frame[column].to_numpy())
    metadata = {"duplicate_ids": len(duplicates), "examples": duplicates[:MAX_EXAMPLES], "column": column}
    if not duplicates:
        return CheckOutcome(UNIQUE_IDS, True, True, f"every {column} is unique", 0, metadata)
    return CheckOutcome(UNIQUE_IDS, False, True, describe_duplicates(column, duplicates), len(duplicates), metadata)


def blocking_checks(
    table: RawTable, frame: pd.DataFrame, *, market: Market | None = None, interval: str = "1m"
) -> list[CheckOutcome]:
    """The checks a partition must pass before it is published (or an archive is accepted). The raw tables
    hold spot rows and 1m klines; `validate-archive` passes the market and klines interval of its archive."""
    return [schema_check(table, frame, market, interval), unique_ids_check(table, frame)]


def continuity_check(ids: pd.Series, previous_last_id: int | None) -> CheckOutcome:
    """Holes in the ids, and whether they continue from the previous day's last id (if known)."""
    gaps = find_id_gaps(ids)
    metadata: dict[str, Any] = {
        "gaps": len(gaps),
        "missing_ids": sum(g.missing for g in gaps),
        "examples": [(g.after_id, g.before_id) for g in gaps[:MAX_EXAMPLES]],
    }
    joins_previous = True
    if previous_last_id is not None and len(ids):
        joins_previous = int(ids.min()) == int(previous_last_id) + 1
        metadata["previous_day_last_id"] = int(previous_last_id)
    metadata["joins_previous_day"] = joins_previous
    passed = not gaps and joins_previous
    if passed:
        summary = "ids run without holes"
    else:
        summary = f"{len(gaps)} id gaps ({metadata['missing_ids']} missing ids)"
        if not joins_previous:
            summary += f"; first id {int(ids.min())} does not follow the previous day's last id {previous_last_id}"
    return CheckOutcome(ID_CONTINUITY, passed, False, summary, len(gaps) + (not joins_previous), metadata)


def rejection_message(outcomes: list[CheckOutcome]) -> str:
    """`unique_ids: 1 duplicated trade_id values: 7; pandera_schema: ...` for the failed blocking checks."""
    return "; ".join(f"{o.name}: {o.summary}" for o in outcomes if o.blocking and not o.passed)


__all__ = [
    "ID_CONTINUITY",
    "PANDERA_SCHEMA",
    "UNIQUE_IDS",
    "CheckOutcome",
    "blocking_checks",
    "continuity_check",
    "partition_frame",
    "rejection_message",
    "unique_column",
]
