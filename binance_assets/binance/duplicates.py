"""Duplicate trade / aggTrade ids (klines: duplicate open times, in µs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from .errors import DuplicateIds
from .schema import ID_COLUMN, TIME_COLUMN

if TYPE_CHECKING:
    from .reader import ArchiveContents


def _keys(contents: ArchiveContents) -> np.ndarray:
    column = ID_COLUMN[contents.kind] or TIME_COLUMN[contents.kind]
    values = contents.table[column]
    if pa.types.is_timestamp(values.type):
        values = values.cast(pa.int64())
    return values.to_numpy()


def find_duplicate_ids(contents: ArchiveContents) -> list[int]:
    """Sorted ids that occur more than once (fast path: strictly increasing ids)."""
    keys = _keys(contents)
    if len(keys) < 2 or bool(np.all(keys[1:] > keys[:-1])):
        return []
    ordered = np.sort(keys)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    return [int(v) for v in np.unique(repeated)]


def check_no_duplicate_ids(contents: ArchiveContents, show: int = 5) -> None:
    """Raise DuplicateIds naming the file and the first few duplicated ids."""
    duplicates = find_duplicate_ids(contents)
    if duplicates:
        column = ID_COLUMN[contents.kind] or TIME_COLUMN[contents.kind]
        head = ", ".join(str(d) for d in duplicates[:show])
        more = f" (+{len(duplicates) - show} more)" if len(duplicates) > show else ""
        raise DuplicateIds(f"{contents.csv_name}: {len(duplicates)} duplicated {column} values: {head}{more}")
