"""Duplicate trade / aggTrade ids (klines: duplicate open times, in µs): the one implementation.

`duplicate_values` is what the pipeline's `unique_ids` check, `validate-archive` and the reader's
`check_no_duplicate_ids` all use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from .errors import DuplicateIds
from .schema import ID_COLUMN, TIME_COLUMN

if TYPE_CHECKING:
    from .contents import ArchiveContents


def int_values(values: Any) -> np.ndarray:
    """int64 numpy values of an Arrow array/chunked array, pandas Series or numpy array
    (timestamps as their integer count of their unit)."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        if pa.types.is_timestamp(values.type):
            values = values.cast(pa.int64())
        return np.asarray(values.to_numpy())
    array = np.asarray(values)
    if np.issubdtype(array.dtype, np.datetime64):
        return array.astype("datetime64[us]").astype(np.int64)
    return array


def duplicate_values(values: Any) -> list[int]:
    """Sorted values that occur more than once (fast path: strictly increasing values)."""
    keys = int_values(values)
    if len(keys) < 2 or bool(np.all(keys[1:] > keys[:-1])):
        return []
    ordered = np.sort(keys)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    return [int(v) for v in np.unique(repeated)]


def key_column(kind: Any) -> str:
    """The column that must be unique in an archive of `kind`: the id, or klines' open time."""
    return ID_COLUMN[kind] or TIME_COLUMN[kind]


def find_duplicate_ids(contents: ArchiveContents) -> list[int]:
    """Sorted ids (klines: open times in µs) that occur more than once in a parsed archive."""
    return duplicate_values(contents.table[key_column(contents.kind)])


def describe_duplicates(column: str, duplicates: list[int], show: int = 5) -> str:
    head = ", ".join(str(d) for d in duplicates[:show])
    more = f" (+{len(duplicates) - show} more)" if len(duplicates) > show else ""
    return f"{len(duplicates)} duplicated {column} values: {head}{more}"


def check_no_duplicate_ids(contents: ArchiveContents, show: int = 5) -> None:
    """Raise DuplicateIds naming the file and the first few duplicated ids."""
    duplicates = find_duplicate_ids(contents)
    if duplicates:
        column = key_column(contents.kind)
        raise DuplicateIds(f"{contents.csv_name}: {describe_duplicates(column, duplicates, show)}")
