"""PostgreSQL binary COPY encoding of Arrow tables, built with numpy a chunk of rows at a time.

No Python loop over rows; strings are padded to the chunk's longest value, the padding is cut out
afterwards. Used by `PostgresWarehouse._insert_rows` (see its module docstring for measurements).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

COPY_CHUNK_ROWS = 100_000
COPY_CHUNK_STRING_BYTES = 64 << 20  # fewer rows per chunk when long strings would pad beyond this

# --- binary COPY encoding ------------------------------------------------------------------------

_PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_PGCOPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in µs since 1970-01-01
_PG_EPOCH_DAYS = 10_957


def _fixed_values(column: pa.ChunkedArray) -> tuple[np.ndarray, np.dtype]:
    t = column.type
    if pa.types.is_timestamp(t):
        values = pc.fill_null(column.cast(pa.timestamp("us")).cast(pa.int64()), 0).to_numpy()
        return values - _PG_EPOCH_US, np.dtype(">i8")
    if pa.types.is_date32(t):
        return pc.fill_null(column.cast(pa.int32()), 0).to_numpy() - _PG_EPOCH_DAYS, np.dtype(">i4")
    if pa.types.is_int64(t):
        return pc.fill_null(column, 0).to_numpy(), np.dtype(">i8")
    if pa.types.is_float64(t):
        return pc.fill_null(column, 0.0).to_numpy(), np.dtype(">f8")
    if pa.types.is_boolean(t):
        return pc.fill_null(column, False).cast(pa.uint8()).to_numpy(), np.dtype("u1")
    raise TypeError(f"no binary COPY encoding for arrow type {t}")


def _string_values(column: pa.ChunkedArray) -> tuple[np.ndarray, np.dtype, np.ndarray]:
    """UTF-8 values zero-padded to the longest one (an `S<width>` array) and their byte lengths."""
    array = pc.fill_null(column, "").cast(pa.large_string()).combine_chunks()
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    lengths = np.diff(offsets)
    width = max(int(lengths.max(initial=0)), 1)
    padded = np.zeros((len(array), width), dtype=np.uint8)
    total = int(offsets[-1] - offsets[0])
    if total:
        payload = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        rows = np.repeat(np.arange(len(array)), lengths)
        padded[rows, np.arange(total) - np.repeat(offsets[:-1] - offsets[0], lengths)] = payload
    wire = np.dtype(f"S{width}")
    return padded.view(wire).reshape(len(array)), wire, lengths


def _column_values(column: pa.ChunkedArray) -> tuple[np.ndarray, np.dtype, np.ndarray | None]:
    """(values as numpy, wire dtype, payload length of each row or None if all are the full width)
    for one Arrow column; a NULL has length -1."""
    if pa.types.is_string(column.type):
        values, wire, lengths = _string_values(column)
    else:
        (values, wire), lengths = _fixed_values(column), None
    if column.null_count:
        nulls = column.is_null().to_numpy(zero_copy_only=False)
        lengths = np.where(nulls, -1, wire.itemsize if lengths is None else lengths)
    return values, wire, lengths


def _constant(value: Any) -> tuple[bytes]:
    if isinstance(value, str):
        return (value.encode(),)
    if isinstance(value, dt.date):
        return ((value - dt.date(2000, 1, 1)).days.to_bytes(4, "big", signed=True),)
    raise TypeError(f"no binary COPY encoding for constant {value!r}")


def encode_copy_binary(data: pa.Table, constants: Sequence[Any] = ()) -> bytes:
    """PostgreSQL binary COPY rows (no header/trailer) for `constants` + the columns of `data`.

    `constants` (str -> text, date -> date) are the same in every row: the partition columns.
    Columns: string, date32, timestamp, int64, float64, bool (NULLs anywhere).
    """
    n = data.num_rows
    fields: list[tuple[str, Any]] = [("count", ">i2")]
    fills: list[tuple[str, Any]] = []
    short_spans: list[tuple[int, int, np.ndarray]] = []
    for k, value in enumerate(constants):
        (payload,) = _constant(value)
        fields += [(f"l{k}", ">i4"), (f"v{k}", f"S{len(payload)}")]
        fills += [(f"l{k}", len(payload)), (f"v{k}", payload)]
    columns = []
    for k, column in enumerate(data.columns, start=len(constants)):
        values, wire, lengths = _column_values(column)
        fields += [(f"l{k}", ">i4"), (f"v{k}", wire)]
        columns.append((k, values, wire, lengths))
    rows = np.empty(n, dtype=np.dtype(fields))
    rows["count"] = len(constants) + data.num_columns
    for name, value in fills:
        rows[name] = value
    for k, values, wire, lengths in columns:
        rows[f"v{k}"] = values
        rows[f"l{k}"] = wire.itemsize if lengths is None else lengths
        if lengths is not None:
            short_spans.append((rows.dtype.fields[f"v{k}"][1], wire.itemsize, lengths))
    raw = rows.view(np.uint8).reshape(n, rows.dtype.itemsize)
    if not short_spans:
        return raw.tobytes()
    keep = np.ones(raw.shape, dtype=bool)
    for offset, size, lengths in short_spans:
        # Only `length` payload bytes follow a length (a NULL's -1: none); cut out the rest.
        keep[:, offset : offset + size] = np.arange(size) < lengths[:, None]
    return raw[keep].tobytes()


def copy_binary_chunks(data: pa.Table, constants: Sequence[Any]) -> Iterator[bytes]:
    widest = sum(
        pc.max(pc.binary_length(column)).as_py() or 0 for column in data.columns if pa.types.is_string(column.type)
    )
    chunk_rows = max(1, min(COPY_CHUNK_ROWS, COPY_CHUNK_STRING_BYTES // max(widest, 1)))
    yield _PGCOPY_HEADER
    for start in range(0, data.num_rows, chunk_rows):
        yield encode_copy_binary(data.slice(start, chunk_rows), constants)
    yield _PGCOPY_TRAILER


__all__ = ["COPY_CHUNK_ROWS", "copy_binary_chunks", "encode_copy_binary"]
