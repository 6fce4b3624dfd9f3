"""Gzip a body made of a small head that changes per request and a large tail that does not, compressing only
the head per request (exchangeInfo: `serverTime` first, 2 MB of symbols after it).

The tail is deflated once, as its own raw deflate stream ending in the final block. Per request the head is
deflated with a sync flush (non-final blocks ending on a byte boundary): head stream + tail stream is one valid
deflate stream, because the tail's back-references stay inside the tail. The gzip trailer needs the CRC-32 of
head + tail: zlib's crc32_combine (CRC-32 is linear over GF(2)), with the operator that appends the tail's
length of zero bytes computed once per tail, so a request costs the head's CRC and 32 XORs, not a pass over the
tail. RFC 1952 (gzip), RFC 1951 (deflate).
"""

from __future__ import annotations

import struct
import zlib

# RFC 1952: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_POLY = 0xEDB88320  # CRC-32, reflected


def gf2_times(matrix: list[int], vector: int) -> int:
    total, n = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[n]
        vector >>= 1
        n += 1
    return total


def _square(matrix: list[int]) -> list[int]:
    return [gf2_times(matrix, matrix[n]) for n in range(32)]


def zeros_operator(length: int) -> list[int]:
    """The GF(2) matrix M with crc32(a + b) == times(M, crc32(a)) ^ crc32(b) for every b of `length` bytes
    (zlib's crc32_combine, its operators composed into one matrix instead of applied to one CRC)."""
    result = [1 << n for n in range(32)]  # identity
    odd = [_POLY] + [1 << n for n in range(31)]  # one zero bit
    even = _square(odd)  # two zero bits
    odd = _square(even)  # four zero bits
    while length:
        even = _square(odd)  # first pass: eight zero bits, one byte
        if length & 1:
            result = [gf2_times(even, column) for column in result]
        length >>= 1
        if not length:
            break
        odd = _square(even)
        if length & 1:
            result = [gf2_times(odd, column) for column in result]
        length >>= 1
    return result


class GzipTail:
    """A fixed tail, deflated once; `gzip(head)` is gzip(head + tail) for any head."""

    def __init__(self, tail: bytes, level: int = 6) -> None:
        deflater = zlib.compressobj(level, zlib.DEFLATED, -15)
        self.deflated = deflater.compress(tail) + deflater.flush(zlib.Z_FINISH)
        self.crc = zlib.crc32(tail)
        self.size = len(tail)
        self._shift = zeros_operator(len(tail))

    def gzip(self, head: bytes) -> bytes:
        deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        head_deflated = deflater.compress(head) + deflater.flush(zlib.Z_SYNC_FLUSH)
        crc = gf2_times(self._shift, zlib.crc32(head)) ^ self.crc
        trailer = struct.pack("<II", crc, (len(head) + self.size) & 0xFFFFFFFF)
        return b"".join((GZIP_HEADER, head_deflated, self.deflated, trailer))


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an `Accept-Encoding` header accepts gzip (RFC 9110 12.5.3: `gzip` or `*`, q not 0)."""
    if not accept_encoding:
        return False
    offered: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        offered[name.strip().lower()] = q
    return offered.get("gzip", offered.get("*", 0.0)) > 0
