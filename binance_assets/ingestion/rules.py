"""The row checks of a raw partition: ONE implementation for the raw assets and `validate-archive`.

No Dagster here. Blocking checks decide whether a partition's rows may be published; they run on the
Arrow rows as parsed (no pandas on the way: `arrow_audit.py` evaluates the pandera model on Arrow):

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

import pyarrow as pa
import pyarrow.compute as pc

from binance_assets.binance.duplicates import describe_duplicates, duplicate_values
from binance_assets.binance.schema import Market
from binance_assets.ingestion.arrow_audit import MAX_EXAMPLES, AuditOutcome, audit_table
from binance_assets.ingestion.schemas import find_id_gaps, partition_schema
from binance_assets.warehouse.tables import RawTable

PANDERA_SCHEMA = "pandera_schema"
UNIQUE_IDS = "unique_ids"
ID_CONTINUITY = "id_continuity"


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


def partition_constants(symbol: str | None, day: dt.date | pa.Array | None) -> dict[str, Any]:
    """The partition columns of a partition's rows as the audit takes them: the symbol, and the day (one for
    every row, or the day of each row)."""
    constants: dict[str, Any] = {}
    if symbol is not None:
        constants["symbol"] = pa.scalar(symbol, pa.string())
    if isinstance(day, dt.date):
        constants["trade_date"] = pa.scalar(day, pa.date32())
    elif day is not None:
        constants["trade_date"] = pc.cast(day, pa.date32())
    return constants


def schema_check(
    table: RawTable,
    data: pa.Table,
    *,
    symbol: str | None = None,
    day: dt.date | pa.Array | None = None,
    market: Market | None = None,
    interval: str = "1m",
) -> CheckOutcome:
    """The table's pandera model on `data` (canonical columns, plus the partition columns either in `data` or
    given as `symbol`/`day`), evaluated on the Arrow rows (`arrow_audit.py`)."""
    if data.num_rows == 0:
        return CheckOutcome(PANDERA_SCHEMA, False, True, "the partition has no rows", 1, {"rows": 0})
    schema = partition_schema(table.name, market, interval)
    outcome = audit_table(schema, data, partition_constants(symbol, day), interval=interval)
    metadata: dict[str, Any] = {"rows": data.num_rows}
    if outcome.passed:
        return CheckOutcome(PANDERA_SCHEMA, True, True, f"{data.num_rows} rows fit the {table.name} model", 0, metadata)
    by_check = [
        {"column": str(f.column), "check": f.check, "failures": f.rows} for f in outcome.failures
    ]
    cases = [case for f in outcome.failures for case in f.cases][:MAX_EXAMPLES]
    metadata |= {"failures_by_check": by_check, "failure_cases": cases}
    return CheckOutcome(PANDERA_SCHEMA, False, True, _schema_summary(outcome), outcome.failure_count, metadata)


def _schema_summary(outcome: AuditOutcome, show: int = 4) -> str:
    """`3 schema failures: greater_than(0) on qty (1 row); trade_time_inside_partition_day (2 rows)`:
    one entry per failed rule, naming the column for column rules."""
    parts = []
    for failure in outcome.failures:
        where = f" on {failure.column}" if failure.column is not None else ""
        parts.append(f"{failure.check}{where} ({failure.rows} row{'s' if failure.rows != 1 else ''})")
    more = f" (+{len(parts) - show} more rules)" if len(parts) > show else ""
    return f"{outcome.failure_count} schema failures: {'; '.join(parts[:show])}{more}"


def unique_ids_check(table: RawTable, data: pa.Table) -> CheckOutcome:
    column = unique_column(table)
    duplicates = duplicate_values(data.column(column))
    metadata = {"duplicate_ids": len(duplicates), "examples": duplicates[:MAX_EXAMPLES], "column": column}
    if not duplicates:
        return CheckOutcome(UNIQUE_IDS, True, True, f"every {column} is unique", 0, metadata)
    return CheckOutcome(UNIQUE_IDS, False, True, describe_duplicates(column, duplicates), len(duplicates), metadata)


def blocking_checks(
    table: RawTable,
    data: pa.Table,
    *,
    symbol: str | None = None,
    day: dt.date | pa.Array | None = None,
    market: Market | None = None,
    interval: str = "1m",
) -> list[CheckOutcome]:
    """The checks a partition must pass before it is published (or an archive is accepted), on its Arrow rows.
    The raw tables hold spot rows and 1m klines; `validate-archive` passes the market and klines interval of
    its archive. `symbol`/`day` give the partition columns when `data` does not hold them."""
    schema = schema_check(table, data, symbol=symbol, day=day, market=market, interval=interval)
    return [schema, unique_ids_check(table, data)]


def continuity_check(ids: Any, previous_last_id: int | None) -> CheckOutcome:
    """Holes in the ids (an Arrow column or a Series), and whether they continue from the previous day's last
    id (if known)."""
    gaps = find_id_gaps(ids)
    metadata: dict[str, Any] = {
        "gaps": len(gaps),
        "missing_ids": sum(g.missing for g in gaps),
        "examples": [(g.after_id, g.before_id) for g in gaps[:MAX_EXAMPLES]],
    }
    joins_previous = True
    first_id = _min(ids)
    if previous_last_id is not None and first_id is not None:
        joins_previous = first_id == int(previous_last_id) + 1
        metadata["previous_day_last_id"] = int(previous_last_id)
    metadata["joins_previous_day"] = joins_previous
    passed = not gaps and joins_previous
    if passed:
        summary = "ids run without holes"
    else:
        summary = f"{len(gaps)} id gaps ({metadata['missing_ids']} missing ids)"
        if not joins_previous:
            summary += f"; first id {first_id} does not follow the previous day's last id {previous_last_id}"
    return CheckOutcome(ID_CONTINUITY, passed, False, summary, len(gaps) + (not joins_previous), metadata)


def _min(ids: Any) -> int | None:
    if isinstance(ids, pa.Array | pa.ChunkedArray):
        return pc.min(ids).as_py()
    value = ids.min() if len(ids) else None
    return None if value is None else int(value)


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
    "partition_constants",
    "rejection_message",
    "unique_column",
]
