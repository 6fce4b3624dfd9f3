"""Where an archive's CSV comes from: CSV bytes in memory, or the one CSV member of a zip file, read as needed.

Each source gives the parser (`reader.py`) its first lines (`head`), a stream of the whole CSV (`stream`), the CSV
whole for error messages only (`read_all`), and the sha256 of the bytes parsed (`sha256`). Every zip failure is
`CorruptArchive`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pyarrow as pa

from .errors import ArchiveLayoutError, CorruptArchive
from .inflate import DeflatedMember

BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = 1 << 16  # enough for a header and a first row; read further only for longer lines
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


class CsvBytes:
    """CSV already in memory."""

    def __init__(self, data: bytes, display: str, csv_name: str) -> None:
        self._sha256 = hashlib.sha256(data).hexdigest()
        self.data = data[len(BOM) :] if data.startswith(BOM) else data
        self.display = display
        self.csv_name = csv_name

    def head(self) -> bytes:
        return self.data

    def stream(self) -> pa.NativeFile:
        return pa.BufferReader(pa.py_buffer(self.data))

    def read_all(self) -> bytes:
        return self.data

    def sha256(self) -> str:
        return self._sha256


class ZipMember:
    """The one CSV in a zip, read from the file as needed; every zip failure is CorruptArchive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._zip_errors():
            self.zf = zipfile.ZipFile(path)
        try:
            members = [
                info
                for info in self.zf.infolist()
                if not info.is_dir()
                and info.filename.lower().endswith(".csv")
                and not info.filename.startswith("__MACOSX/")
            ]
            if len(members) != 1:
                listed = ", ".join(i.filename for i in members) or "none"
                raise ArchiveLayoutError(
                    f"{path}: expected exactly one CSV in the zip, found {len(members)} ({listed})"
                )
        except BaseException:
            self.zf.close()
            raise
        self.info = members[0]
        self.csv_name = self.info.filename
        self.display = f"{path} ({self.csv_name})"
        self._data: bytes | None = None
        self._sha256: Callable[[], str] | None = None

    def __enter__(self) -> ZipMember:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.zf.close()

    @contextlib.contextmanager
    def _zip_errors(self) -> Iterator[None]:
        try:
            yield
        except ZIP_ERRORS as exc:
            raise self.corrupt(exc) from exc

    def corrupt(self, exc: BaseException) -> CorruptArchive:
        return CorruptArchive(f"{self.path}: unreadable zip ({exc})")

    def head(self) -> bytes:
        """The member's first complete lines: 64 KiB cut at its last newline, or more if a line is longer."""
        with self._zip_errors(), self.zf.open(self.info) as fh:
            head, size = b"", _SNIFF_BYTES
            while chunk := fh.read(size):
                head += chunk
                cut = head[: head.rfind(b"\n") + 1]
                if len(first_lines(cut.removeprefix(BOM), 2)) == 2:
                    return cut.removeprefix(BOM)
                size = len(head)  # doubling: a very long first line costs O(n), not O(n^2)
        return head.removeprefix(BOM)  # the whole member, shorter than two lines

    def stream(self) -> IO[bytes]:
        with self._zip_errors():
            if DeflatedMember.usable(self.info):  # ISA-L's inflate when installed (inflate.py)
                member = DeflatedMember(self.path, self.info)
                self._sha256 = lambda: member.sha256
                return member
            data = self.path.read_bytes()  # another compression: held whole, so the sha256 is of the bytes parsed
            self._sha256 = lambda: hashlib.sha256(data).hexdigest()
            return zipfile.ZipFile(io.BytesIO(data)).open(self.info.filename)

    def sha256(self) -> str:
        """The sha256 of the file as read by `stream()` (once it was read to its end)."""
        assert self._sha256 is not None, "stream() first"  # nosec B101 - an internal ordering
        return self._sha256()

    def read_all(self) -> bytes:
        """The whole unzipped member (error paths only)."""
        if self._data is None:
            with self._zip_errors():
                data = self.zf.read(self.info)
            self._data = data.removeprefix(BOM)
        return self._data


Source = CsvBytes | ZipMember


def first_lines(data: bytes, count: int) -> list[str]:
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


__all__ = ["BOM", "ZIP_ERRORS", "CsvBytes", "Source", "ZipMember", "first_lines"]
