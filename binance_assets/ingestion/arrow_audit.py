"""A pandera schema's rules, evaluated vectorised on an Arrow table where the rows already are. No Dagster.

The pandera models (`schemas.py`) stay the one declaration; this reads them and runs each rule with
`pyarrow.compute`, without converting the rows to pandas:

* the columns: a missing one (`column_in_dataframe`), one the model does not have (`column_in_schema`,
  strict models), a type that does not fit the column's dtype (`dtype('...')`);
* `not_nullable` for every column not declared nullable;
* the column checks pandera has built in (greater_than, greater_than_or_equal_to, less_than,
  less_than_or_equal_to, in_range, equal_to, not_equal_to, isin, notin, str_matches), with their statistics;
* the dataframe checks, by their Arrow form (`row_rules.py`); a check without one is an error (never skipped).

The partition columns may be given as `constants` (one value for every row, e.g. the symbol and day a load
is for): a column check on a constant is evaluated once, and fails every row if the value fails. A failure is
reported like pandera's failure cases: the check, the column, how many rows, and the first examples.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc

from binance_assets.ingestion.row_rules import RowRule
from binance_assets.ingestion.schemas import row_rule

MAX_EXAMPLES = 20
Column = pa.ChunkedArray | pa.Array | pa.Scalar


@dataclass(frozen=True)
class RuleFailure:
    """One rule that some rows fail: `rows` of them; `cases` are the first examples (pandera's columns)."""

    check: str
    column: str | None  # None for a dataframe rule (its cases name each column it reads)
    context: str  # "Column" or "DataFrameSchema"
    rows: int
    cases: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class AuditOutcome:
    rows: int
    failures: list[RuleFailure]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def failure_count(self) -> int:
        return sum(f.rows for f in self.failures)


def _bound(value: Any, arrow_type: pa.DataType) -> pa.Scalar:
    """A check's statistic as a scalar comparable with a column of `arrow_type` (pandas Timestamps are datetimes)."""
    if isinstance(value, dt.datetime) and pa.types.is_date(arrow_type):
        return pa.scalar(value.date(), arrow_type)
    if isinstance(value, dt.datetime):
        return pa.scalar(value.replace(tzinfo=None) if value.tzinfo is None else value, arrow_type)
    return pa.scalar(value) if not pa.types.is_floating(arrow_type) else pa.scalar(float(value), arrow_type)


def _column_check(check: pandera.Check, values: Column, arrow_type: pa.DataType) -> Column:
    """True where a value passes one of pandera's built-in column checks."""
    stats = check.statistics

    def bound(name: str) -> pa.Scalar:
        return _bound(stats[name], arrow_type)

    name = check.name
    if name == "greater_than":
        return pc.greater(values, bound("min_value"))
    if name == "greater_than_or_equal_to":
        return pc.greater_equal(values, bound("min_value"))
    if name == "less_than":
        return pc.less(values, bound("max_value"))
    if name == "less_than_or_equal_to":
        return pc.less_equal(values, bound("max_value"))
    if name == "in_range":
        low = (pc.greater_equal if stats.get("include_min", True) else pc.greater)(values, bound("min_value"))
        high = (pc.less_equal if stats.get("include_max", True) else pc.less)(values, bound("max_value"))
        return pc.and_(low, high)
    if name == "equal_to":
        return pc.equal(values, bound("value"))
    if name == "not_equal_to":
        return pc.not_equal(values, bound("value"))
    if name in ("isin", "notin"):
        allowed = pa.array(list(stats["allowed_values" if name == "isin" else "forbidden_values"]), arrow_type)
        member = pc.is_in(values, value_set=allowed)
        return member if name == "isin" else pc.invert(member)
    if name == "str_matches":
        pattern = stats["pattern"]
        pattern = pattern if pattern.startswith("^") else f"^(?:{pattern})"  # pandera anchors at the start (re.match)
        return pc.match_substring_regex(values, pattern)
    raise NotImplementedError(f"pandera check {check.error or name} has no Arrow form in arrow_audit.py: add it there")


_DTYPE_FITS = {
    "int64": pa.types.is_integer,
    "float64": pa.types.is_floating,
    "bool": pa.types.is_boolean,
    "boolean": pa.types.is_boolean,
    "str": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
    "string[pyarrow]": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
}


def _dtype_fits(dtype: str, arrow_type: pa.DataType) -> bool:
    if dtype.startswith("datetime64"):
        return pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type)
    fits = _DTYPE_FITS.get(dtype)
    if fits is None:
        raise NotImplementedError(f"pandera dtype {dtype} has no Arrow equivalent in arrow_audit.py: add it there")
    return fits(arrow_type)


class _Rows:
    """The columns of the rows being audited: the table's, and the constants (one value for all rows)."""

    def __init__(self, table: pa.Table, constants: Mapping[str, Any], offset: int = 0) -> None:
        self.n = table.num_rows
        self.offset = offset  # of these rows' first in the whole table (the row numbers reported)
        self.columns: dict[str, Column] = {name: table.column(name) for name in table.column_names}
        for name, value in constants.items():
            if isinstance(value, pa.Array | pa.ChunkedArray):
                self.columns[name] = value
            else:
                self.columns[name] = value if isinstance(value, pa.Scalar) else pa.scalar(value)

    def failures(self, passed: Column) -> pa.Array:
        """Row numbers where `passed` is False (a constant's result applies to every row)."""
        if isinstance(passed, pa.Scalar):
            return pa.array(range(self.n), pa.int64()) if passed.as_py() is False else pa.array([], pa.int64())
        return pc.indices_nonzero(pc.invert(pc.fill_null(passed, True)))

    def value(self, name: str, row: int) -> Any:
        column = self.columns[name]
        return column.as_py() if isinstance(column, pa.Scalar) else column[row].as_py()


def _case(context: str, column: str | None, check: str, number: int, value: Any, row: int | None) -> dict[str, str]:
    return {
        "schema_context": context,
        "column": str(column),
        "check": check,
        "check_number": str(number),
        "failure_case": str(value),
        "index": str(row),
    }


def _failure(rows: _Rows, failing: pa.Array, check: str, columns: tuple[str, ...], context: str,
             number: int) -> RuleFailure | None:  # fmt: skip
    if len(failing) == 0:
        return None
    examples = failing.slice(0, MAX_EXAMPLES).to_pylist()
    cases = [_case(context, c, check, number, rows.value(c, r), r + rows.offset) for r in examples for c in columns]
    column = columns[0] if context == "Column" else None
    return RuleFailure(check, column, context, len(failing), cases[:MAX_EXAMPLES])


SLICE_ROWS = 1 << 18  # rows audited at a time: the rules' temporary arrays stay a few MB, whatever the file


def audit_table(schema: pandera.DataFrameSchema, table: pa.Table, constants: Mapping[str, Any] | None = None,
                *, interval: str = "1m") -> AuditOutcome:  # fmt: skip
    """Every rule of `schema` on `table` (plus the `constants` columns); see the module docstring. The rows are
    checked `SLICE_ROWS` at a time (zero-copy slices), the failures of the slices added up."""
    constants = dict(constants or {})
    whole = _Rows(table, constants)
    failures = _column_failures(schema, whole)
    if failures and any(f.check in ("column_in_dataframe",) or f.check.startswith("dtype(") for f in failures):
        return AuditOutcome(whole.n, failures)
    merged: dict[tuple[str, str | None], RuleFailure] = {}
    for offset in range(0, max(table.num_rows, 1), SLICE_ROWS):
        piece = {
            name: value.slice(offset, SLICE_ROWS) if isinstance(value, pa.Array | pa.ChunkedArray) else value
            for name, value in constants.items()
        }
        rows = _Rows(table.slice(offset, SLICE_ROWS), piece, offset)
        for failure in _row_failures(schema, rows, interval):
            key = (failure.check, failure.column)
            if key in merged:
                seen = merged[key]
                cases = (seen.cases + failure.cases)[:MAX_EXAMPLES]
                failure = RuleFailure(seen.check, seen.column, seen.context, seen.rows + failure.rows, cases)
            merged[key] = failure
    return AuditOutcome(whole.n, failures + list(merged.values()))


def _column_failures(schema: pandera.DataFrameSchema, rows: _Rows) -> list[RuleFailure]:
    """The table's columns against the schema's: extra (strict), missing, of another type."""
    failures = []
    for name in rows.columns:
        if schema.strict and name not in schema.columns:
            case = _case("DataFrameSchema", None, "column_in_schema", -1, name, None)
            failures.append(RuleFailure("column_in_schema", None, "DataFrameSchema", 1, [case]))
    for name, column in schema.columns.items():
        if name not in rows.columns:
            case = _case("DataFrameSchema", None, "column_in_dataframe", -1, name, None)
            failures.append(RuleFailure("column_in_dataframe", None, "DataFrameSchema", 1, [case]))
        elif not _dtype_fits(str(column.dtype), rows.columns[name].type):
            check = f"dtype('{column.dtype}')"
            case = _case("Column", name, check, -1, rows.columns[name].type, None)
            failures.append(RuleFailure(check, name, "Column", rows.n, [case]))
    return failures


def _row_failures(schema: pandera.DataFrameSchema, rows: _Rows, interval: str) -> list[RuleFailure]:
    """The rules on the rows: nullability and the column checks of each column, then the dataframe checks."""
    failures: list[RuleFailure] = []

    def add(failure: RuleFailure | None) -> None:
        if failure is not None:
            failures.append(failure)

    for name, column in schema.columns.items():
        values = rows.columns[name]
        if not column.nullable:
            nulls = pc.is_null(values) if not isinstance(values, pa.Scalar) else pa.scalar(not values.is_valid)
            add(_failure(rows, rows.failures(pc.invert(nulls)), "not_nullable", (name,), "Column", -1))
        for number, check in enumerate(column.checks):
            passed = _column_check(check, values, values.type)
            add(_failure(rows, rows.failures(passed), check.error or check.name, (name,), "Column", number))
    for number, check in enumerate(schema.checks):
        rule = row_rule(check, interval)
        if rule is None:
            raise NotImplementedError(f"dataframe check {check.name!r} has no Arrow form (row_rules.py): add one")
        add(_failure(rows, rows.failures(_evaluate(rule, rows)), rule.name, rule.columns, "DataFrameSchema", number))
    return failures


def _evaluate(rule: RowRule, rows: _Rows) -> Column:
    return rule.evaluate(*(rows.columns[c] for c in rule.columns))


__all__ = ["MAX_EXAMPLES", "AuditOutcome", "RuleFailure", "audit_table"]
