"""Read one Binance archive (zip holding one CSV, or a plain CSV) into its canonical arrow table."""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .diagnose import data_lines, diagnose
from .duplicates import check_no_duplicate_ids, find_duplicate_ids
from .errors import (
    ArchiveLayoutError,
    CorruptArchive,
    EmptyArchive,
    FieldParseError,
)
from .formats import (
    BOOL,
    FLOAT,
    SKIP,
    TIME,
    CsvFormat,
    choose_format,
    detect_kind,
    detect_market,
    is_header,
    kind_from_name,
    split_fields,
)
from .schema import SCHEMAS, TIMESTAMP, ArchiveKind, Market

__all__ = [
    "ArchiveContents",
    "check_no_duplicate_ids",
    "find_duplicate_ids",
    "read_archive",
    "read_csv_bytes",
]

MICROS_THRESHOLD = 10**14  # ms values stay below this until year 5138, µs values pass it in 1973
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class ArchiveContents:
    """A parsed archive: canonical table plus what was learnt about the source file."""

    kind: ArchiveKind
    market: Market | None
    table: pa.Table
    timestamp_unit: str  # "ms" | "us", as found in the file
    had_header: bool
    csv_name: str
    sha256: str  # of the bytes of the file given (zip or csv)


def read_archive(path: Path, kind: ArchiveKind | None = None, *, market: Market | None = None) -> ArchiveContents:
    """Parse a `.zip` holding one CSV, or a plain `.csv`; `kind`/`market` override detection."""
    path = Path(path)
    raw = path.read_bytes()
    if not raw:
        raise EmptyArchive(f"{path}: empty file")
    sha = hashlib.sha256(raw).hexdigest()
    if raw[:4] in _ZIP_MAGIC or path.suffix.lower() == ".zip":
        csv_name, data = _single_csv(raw, path)
        kind = kind or kind_from_name(csv_name) or kind_from_name(path.name)
        display = f"{path} ({csv_name})"
    else:
        csv_name, data, display = path.name, raw, str(path)
    return _parse(data, display, csv_name, kind, market, sha)


def read_csv_bytes(
    data: bytes, *, name: str, kind: ArchiveKind | None = None, market: Market | None = None
) -> ArchiveContents:
    """Parse CSV bytes; `name` is used for kind detection and in error messages."""
    return _parse(data, name, name, kind, market, hashlib.sha256(data).hexdigest())


def _single_csv(raw: bytes, path: Path) -> tuple[str, bytes]:
    if raw[:4] not in _ZIP_MAGIC:
        raise CorruptArchive(f"{path}: not a zip file")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            members = [
                info
                for info in zf.infolist()
                if not info.is_dir()
                and info.filename.lower().endswith(".csv")
                and not info.filename.startswith("__MACOSX/")
            ]
            if len(members) != 1:
                listed = ", ".join(i.filename for i in members) or "none"
                raise ArchiveLayoutError(
                    f"{path}: expected exactly one CSV in the zip, found {len(members)} ({listed})"
                )
            return members[0].filename, zf.read(members[0])
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise CorruptArchive(f"{path}: unreadable zip ({exc})") from exc


def _first_lines(data: bytes, count: int) -> list[str]:
    """The first `count` non-empty lines (decoded leniently; only used for sniffing)."""
    lines: list[str] = []
    start = 0
    while len(lines) < count and start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        line = data[start:end].decode("utf-8", errors="replace").strip()
        if line:
            lines.append(line)
        start = end + 1
    return lines


def _parse(
    data: bytes,
    display: str,
    csv_name: str,
    kind: ArchiveKind | None,
    market: Market | None,
    sha: str,
) -> ArchiveContents:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = _first_lines(data, 2)
    if not lines:
        raise EmptyArchive(f"{display}: no data rows (empty CSV)")
    had_header = is_header(lines[0])
    header = split_fields(lines[0]) if had_header else None
    if had_header and len(lines) < 2:
        raise EmptyArchive(f"{display}: header only, no data rows")
    first_row = split_fields(lines[1] if had_header else lines[0])
    kind = detect_kind(csv_name, header, first_row, kind)
    line_no = 2 if had_header else 1
    fmt = choose_format(kind, len(first_row), where=f"{display} line {line_no}")
    if header is not None and len(header) != fmt.width:
        choose_format(kind, len(header), where=f"{display} line 1 (header)")
    table = _read_typed(data, display, fmt, int(had_header))
    table, unit = _to_micros(table, fmt, display, data, int(had_header))
    return ArchiveContents(
        kind=kind,
        market=market or detect_market(fmt, had_header, first_row, header, unit),
        table=_canonical(table, kind),
        timestamp_unit=unit,
        had_header=had_header,
        csv_name=csv_name,
        sha256=sha,
    )


def _read_typed(data: bytes, display: str, fmt: CsvFormat, skip_rows: int) -> pa.Table:
    types = {n: (pa.int64() if t == TIME else t) for n, t in fmt.columns if t != SKIP}
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=fmt.names, skip_rows=skip_rows, block_size=16 << 20),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=list(types),
                true_values=["True", "true"],
                false_values=["False", "false"],
                null_values=[],
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowException as exc:
        raise diagnose(data, display, fmt, skip_rows, exc) from None
    if table.num_rows == 0:
        raise EmptyArchive(f"{display}: no data rows")
    for name, col_type in fmt.columns:
        if col_type is FLOAT and not pc.all(pc.is_finite(table[name])).as_py():
            raise diagnose(data, display, fmt, skip_rows, None)
    return table


def _to_micros(table: pa.Table, fmt: CsvFormat, display: str, data: bytes, skip_rows: int) -> tuple[pa.Table, str]:
    """Detect ms vs µs by magnitude (whole file must agree) and convert to timestamp[us]."""
    time_cols = [n for n, t in fmt.columns if t == TIME]
    lows = [pc.min(table[n]).as_py() for n in time_cols]
    highs = [pc.max(table[n]).as_py() for n in time_cols]
    if max(highs) < MICROS_THRESHOLD:
        unit, factor = "ms", 1000
    elif min(lows) >= MICROS_THRESHOLD:
        unit, factor = "us", 1
    else:
        raise _mixed_units(table, time_cols, display, data, skip_rows)
    for name in time_cols:
        idx = table.schema.get_field_index(name)
        values = pc.multiply(table[name], factor) if factor != 1 else table[name]
        table = table.set_column(idx, name, values.cast(TIMESTAMP))
    return table, unit


def _mixed_units(table: pa.Table, time_cols: list[str], display: str, data: bytes, skip_rows: int) -> FieldParseError:
    flags = np.concatenate([table[n].to_numpy() >= MICROS_THRESHOLD for n in time_cols])
    row = int(np.argmax(flags != flags[0])) % table.num_rows
    line = int(data_lines(data)[0][skip_rows + row])
    return FieldParseError(f"{display} line {line}: timestamps mix milliseconds and microseconds")


def _canonical(table: pa.Table, kind: ArchiveKind) -> pa.Table:
    schema = SCHEMAS[kind]
    columns = []
    for field in schema:
        if field.name in table.column_names:
            columns.append(table[field.name].cast(field.type))
        else:  # futures files have no isBestMatch
            columns.append(pa.nulls(table.num_rows, type=BOOL))
    return pa.Table.from_arrays(columns, schema=schema).combine_chunks()
