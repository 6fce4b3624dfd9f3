"""What reading an archive gives: the canonical table and what was learnt about the source file."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from .schema import ArchiveKind, Market


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
