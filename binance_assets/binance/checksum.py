"""Binance `.CHECKSUM` files: `<64 hex sha256>  <file name>` (two spaces, newline optional)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from .errors import ChecksumFileError, ChecksumMismatch

_LINE_RE = re.compile(r"^([0-9a-fA-F]{64}) [ *](\S(?:.*\S)?)\s*$")


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def parse_checksum(text_or_path: str | bytes | os.PathLike) -> tuple[str, str]:
    """(lower-case hex, file name) from checksum text or a checksum file's path."""
    source = "checksum text"
    if isinstance(text_or_path, os.PathLike) or (
        isinstance(text_or_path, str)
        and not _LINE_RE.match(text_or_path.strip())
        and "\n" not in text_or_path
        and Path(text_or_path).is_file()
    ):
        source = str(text_or_path)
        try:
            text_or_path = Path(text_or_path).read_bytes()
        except OSError as exc:
            raise ChecksumFileError(f"{source}: cannot read checksum file ({exc})") from exc
    if isinstance(text_or_path, bytes):
        text_or_path = text_or_path.decode("utf-8", errors="replace")
    text = text_or_path.strip()
    if not text:
        raise ChecksumFileError(f"{source}: empty checksum file")
    match = _LINE_RE.match(text)
    if match is None:
        raise ChecksumFileError(f"{source}: not in Binance's '<sha256>  <file name>' format: {text[:100]!r}")
    return match[1].lower(), match[2]


def format_checksum(hex_digest: str, name: str) -> str:
    """Binance's checksum line, without a trailing newline (as spot files have it)."""
    if not re.fullmatch(r"[0-9a-fA-F]{64}", hex_digest):
        raise ValueError(f"not a sha256 hex digest: {hex_digest!r}")
    return f"{hex_digest.lower()}  {name}"


def verify(path: Path, checksum_path: Path) -> str:
    """Return the file's sha256; ChecksumMismatch if it differs, ChecksumFileError if unusable."""
    path, checksum_path = Path(path), Path(checksum_path)
    if not checksum_path.is_file():
        raise ChecksumFileError(f"{checksum_path}: checksum file missing")
    expected, name = parse_checksum(checksum_path)
    if name != path.name:
        raise ChecksumFileError(f"{checksum_path}: names {name!r}, not {path.name!r}")
    actual = sha256_file(path)
    if actual != expected:
        raise ChecksumMismatch(f"{path}: sha256 mismatch, expected {expected}, actual {actual}")
    return actual
