"""Read one Binance archive (zip holding one CSV, or a plain CSV) into its canonical arrow table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .contents import ArchiveContents
from .datasets import choose_format, detect_kind
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
    detect_market,
    header_market,
    is_header,
    kind_from_name,
    split_fields,
)
from .schema import TIMESTAMP, ArchiveKind, Market, canonical_schema
from .sources import ZIP_ERRORS, CsvBytes, Source, ZipMember, first_lines

__all__ = [
    "ArchiveContents",
    "check_no_duplicate_ids",
    "find_duplicate_ids",
    "read_archive",
    "read_csv_bytes",
]

MICROS_THRESHOLD = 10**14  # ms values stay below this until year 5138, µs values pass it in 1973
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Arrow parses blocks in parallel while the next ones are inflated; small blocks keep the parser's buffers small
# (peak RSS of a 2 M-trade file: 16 MiB blocks ~+330 MB, 4 MiB ~+185 MB; a whole load, 1/2/4 MiB blocks: ~385,
# ~385, ~390 MB, 2-4 MiB the fastest on the busy 2-core machine; measured while the zip was still read whole).
_BLOCK_SIZE = 2 << 20


def read_archive(path: Path, kind: ArchiveKind | None = None, *, market: Market | None = None) -> ArchiveContents:
    """Parse a `.zip` holding one CSV, or a plain `.csv`; `kind`/`market` override detection.

    A zip member is streamed from the file into the CSV parser (read, unzip and parse overlap; neither the
    zip nor the unzipped CSV is held whole); only an error re-reads it in full, to name the bad line. The
    sha256 is that of the bytes read for the parse (`DeflatedMember`).
    """
    path = Path(path)
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if not magic:
        raise EmptyArchive(f"{path}: empty file")
    if magic in _ZIP_MAGIC or path.suffix.lower() == ".zip":
        if magic not in _ZIP_MAGIC:
            raise CorruptArchive(f"{path}: not a zip file")
        with ZipMember(path) as member:
            kind = kind or kind_from_name(member.csv_name) or kind_from_name(path.name)
            return _parse(member, kind, market)
    return _parse(CsvBytes(path.read_bytes(), str(path), path.name), kind, market)


def read_csv_bytes(
    data: bytes, *, name: str, kind: ArchiveKind | None = None, market: Market | None = None
) -> ArchiveContents:
    """Parse CSV bytes; `name` is used for kind detection and in error messages."""
    return _parse(CsvBytes(data, name, name), kind, market)


def _parse(source: Source, kind: ArchiveKind | None, market: Market | None) -> ArchiveContents:
    display = source.display
    lines = first_lines(source.head(), 2)
    if not lines:
        raise EmptyArchive(f"{display}: no data rows (empty CSV)")
    had_header = is_header(lines[0])
    header = split_fields(lines[0]) if had_header else None
    if had_header and len(lines) < 2:
        raise EmptyArchive(f"{display}: header only, no data rows")
    first_row = split_fields(lines[1] if had_header else lines[0])
    kind = detect_kind(source.csv_name, header, first_row, kind)
    from_header = header_market(header)  # futures trades headers name base_qty (COIN-M) or quote_qty (USD-M)
    futures = (Market.FUTURES_UM, Market.FUTURES_CM)
    if market in futures and from_header in futures and market is not from_header:
        raise ArchiveLayoutError(f"{display}: a {market.value} archive with {from_header.value}'s header: {lines[0]}")
    layout_market = market or (from_header if from_header is Market.FUTURES_CM else None)
    line_no = 2 if had_header else 1
    fmt = choose_format(kind, len(first_row), where=f"{display} line {line_no}", market=layout_market)
    if header is not None and len(header) != fmt.width:
        choose_format(kind, len(header), where=f"{display} line 1 (header)", market=layout_market)
    table = _read_typed(source, fmt, int(had_header))
    table, unit = _to_micros(table, fmt, source, int(had_header))
    market = market or detect_market(fmt, had_header, first_row, header, unit)
    return ArchiveContents(
        kind=kind,
        market=market,
        table=_canonical(table, canonical_schema(kind, market)),
        timestamp_unit=unit,
        had_header=had_header,
        csv_name=source.csv_name,
        sha256=source.sha256(),
    )


def _read_typed(source: Source, fmt: CsvFormat, skip_rows: int) -> pa.Table:
    types = {n: (pa.int64() if t == TIME else t) for n, t in fmt.columns if t != SKIP}
    display = source.display
    try:
        with source.stream() as stream:
            table = pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(column_names=fmt.names, skip_rows=skip_rows, block_size=_BLOCK_SIZE),
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
        # read_all() first: a damaged zip member (bad CRC, broken deflate stream), even if it surfaced
        # wrapped in an arrow error, is CorruptArchive, not a CSV error.
        raise diagnose(source.read_all(), display, fmt, skip_rows, exc) from None
    except ZIP_ERRORS as exc:  # raised by the zip stream while arrow was reading it
        if isinstance(source, ZipMember):
            raise source.corrupt(exc) from exc
        raise
    if table.num_rows == 0:
        raise EmptyArchive(f"{display}: no data rows")
    for name, col_type in fmt.columns:
        if col_type is FLOAT and not pc.all(pc.is_finite(table[name])).as_py():
            raise diagnose(source.read_all(), display, fmt, skip_rows, None)
    return table


def _to_micros(table: pa.Table, fmt: CsvFormat, source: Source, skip_rows: int) -> tuple[pa.Table, str]:
    """Detect ms vs µs by magnitude (whole file must agree) and convert to timestamp[us]."""
    time_cols = [n for n, t in fmt.columns if t == TIME]
    lows = [pc.min(table[n]).as_py() for n in time_cols]
    highs = [pc.max(table[n]).as_py() for n in time_cols]
    if max(highs) < MICROS_THRESHOLD:
        unit, factor = "ms", 1000
    elif min(lows) >= MICROS_THRESHOLD:
        unit, factor = "us", 1
    else:
        raise _mixed_units(table, time_cols, source, skip_rows)
    for name in time_cols:
        idx = table.schema.get_field_index(name)
        values = pc.multiply(table[name], factor) if factor != 1 else table[name]
        table = table.set_column(idx, name, values.cast(TIMESTAMP))
    return table, unit


def _mixed_units(table: pa.Table, time_cols: list[str], source: Source, skip_rows: int) -> FieldParseError:
    flags = np.concatenate([table[n].to_numpy() >= MICROS_THRESHOLD for n in time_cols])
    row = int(np.argmax(flags != flags[0])) % table.num_rows
    line = int(data_lines(source.read_all())[0][skip_rows + row])
    return FieldParseError(f"{source.display} line {line}: timestamps mix milliseconds and microseconds")


def _canonical(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = []
    for field in schema:
        if field.name in table.column_names:
            columns.append(table[field.name].cast(field.type))
        else:  # futures files have no isBestMatch
            columns.append(pa.nulls(table.num_rows, type=BOOL))
    # Left in the parser's chunks (no combined copy): every consumer takes chunked columns.
    return pa.Table.from_arrays(columns, schema=schema)
