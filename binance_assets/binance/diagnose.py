"""Turn a failed fast parse into a precise error naming the line (vectorised, error path only)."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .errors import BinanceDataError, ColumnCountError, FieldParseError
from .formats import BOOL, FLOAT, INT, TIME, CsvFormat

_PATTERNS = {
    "int": r"^-?\d+$",
    "float": r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$",
    "bool": r"^(True|False|true|false)$",
}


def _pattern(kind: object) -> tuple[str, str] | None:
    if kind is INT or kind == TIME:
        return "integer", _PATTERNS["int"]
    if kind is FLOAT:
        return "number", _PATTERNS["float"]
    if kind is BOOL:
        return "boolean", _PATTERNS["bool"]
    return None


def data_lines(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """1-based line numbers and column counts of the non-empty lines (pyarrow skips empty ones)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(arr)]))
    lengths = ends - starts
    has_cr = np.zeros(len(starts), dtype=bool)
    nonzero = lengths > 0
    has_cr[nonzero] = arr[ends[nonzero] - 1] == 13
    content = lengths - has_cr
    commas = np.flatnonzero(arr == 44)
    widths = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    keep = content > 0
    return np.flatnonzero(keep) + 1, widths[keep]


def diagnose(data: bytes, name: str, fmt: CsvFormat, skip_rows: int, error: Exception | None) -> BinanceDataError:
    """The first wrong column count or unparsable field, with its line; else the arrow message."""
    line_numbers, widths = data_lines(data)
    line_numbers, widths = line_numbers[skip_rows:], widths[skip_rows:]
    bad = np.flatnonzero(widths != fmt.width)
    if len(bad):
        i = int(bad[0])
        return ColumnCountError(
            f"{name} line {int(line_numbers[i])}: expected {fmt.width} columns ({fmt.kind.value}), got {int(widths[i])}"
        )
    found = _first_bad_field(data, fmt, skip_rows)
    if found is not None:
        row, column, value, what = found
        line = int(line_numbers[row]) if row < len(line_numbers) else "?"
        return FieldParseError(f"{name} line {line}, column {column}: cannot read {value!r} as {what}")
    detail = re.sub(r"\s+", " ", str(error)) if error else "unreadable CSV"
    return FieldParseError(f"{name}: {detail}")


def _first_bad_field(data: bytes, fmt: CsvFormat, skip_rows: int) -> tuple[int, str, str, str] | None:
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=fmt.names, skip_rows=skip_rows),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in fmt.names},
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, UnicodeDecodeError):
        return None
    best: tuple[int, str, str, str] | None = None
    for col_name, col_type in fmt.columns:
        pattern = _pattern(col_type)
        if pattern is None:
            continue
        what, regex = pattern
        ok = pc.match_substring_regex(pc.utf8_trim_whitespace(table[col_name]), regex)
        bad = pc.indices_nonzero(pc.invert(ok))
        if len(bad) and (best is None or bad[0].as_py() < best[0]):
            row = bad[0].as_py()
            best = (row, col_name, table[col_name][row].as_py(), what)
    return best
