"""One-archive summary for the CLI (`binance-assets validate-archive FILE`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from .checksum import parse_checksum, verify
from .contents import ArchiveContents
from .errors import ChecksumMismatch
from .reader import read_archive
from .schema import ID_COLUMN, TIME_COLUMN, Market


def iso_utc(value: datetime, unit: str) -> str:
    """`2024-12-31T00:00:00.213Z` (ms) or `…00.213000Z` (µs)."""
    return value.isoformat(timespec="milliseconds" if unit == "ms" else "microseconds") + "Z"


def read_verified(
    path: Path, checksum_path: Path | None = None, *, market: Market | None = None
) -> tuple[ArchiveContents, bool | None]:
    """Parse one archive (of `market`, when known) after checking it against its checksum: `<zip>.CHECKSUM`
    beside a zip when no checksum path is given (a mismatch raises); returns (contents, checksum_ok or None)."""
    path = Path(path)
    if checksum_path is None:
        beside = path.with_name(path.name + ".CHECKSUM")
        checksum_path = beside if beside.is_file() else None
    checksum_ok = None
    if checksum_path is not None:
        verify(path, Path(checksum_path))
        checksum_ok = True
    contents = read_archive(path, market=market)
    if checksum_path is not None and contents.sha256 != parse_checksum(Path(checksum_path))[0]:
        raise ChecksumMismatch(f"{path}: changed while it was read (the bytes parsed do not match its checksum)")
    return contents, checksum_ok


def summarize(contents: ArchiveContents, checksum_ok: bool | None) -> dict[str, Any]:
    """Kind, market, rows, id and time range, unit, sha256 and checksum status of a parsed archive."""
    table = contents.table
    id_col = ID_COLUMN[contents.kind]
    times = table[TIME_COLUMN[contents.kind]]
    unit = contents.timestamp_unit
    return {
        "kind": contents.kind.value,
        "market": contents.market.value if contents.market else None,
        "rows": table.num_rows,
        "first_id": table[id_col][0].as_py() if id_col else None,
        "last_id": table[id_col][-1].as_py() if id_col else None,
        "first_time": iso_utc(pc.min(times).as_py(), unit),
        "last_time": iso_utc(pc.max(times).as_py(), unit),
        "timestamp_unit": unit,
        "had_header": contents.had_header,
        "sha256": contents.sha256,
        "checksum_ok": checksum_ok,
    }


def inspect_archive(path: Path, checksum_path: Path | None = None) -> dict[str, Any]:
    """`summarize(read_verified(...))`: the summary of one archive, checksum verified if there is one."""
    return summarize(*read_verified(path, checksum_path))
