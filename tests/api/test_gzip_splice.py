"""gzip of a changing head + a fixed tail, the tail deflated once (binance_api.services.gzip_splice): what any
gzip reader decodes is exactly head + tail, and the trailer's CRC-32 is zlib's of the whole body."""

from __future__ import annotations

import gzip
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from binance_api.services.gzip_splice import GzipTail, accepts_gzip, gf2_times, zeros_operator

pytestmark = pytest.mark.xdist_group("api")


@settings(max_examples=60, deadline=None)
@given(head=st.binary(max_size=600), tail=st.binary(max_size=5000), repeat=st.integers(1, 40))
def test_any_gzip_reader_decodes_head_plus_tail(head, tail, repeat):
    tail = tail * repeat  # repetitive tails too: back-references inside the tail
    body = GzipTail(tail).gzip(head)
    assert gzip.decompress(body) == head + tail
    assert zlib.decompress(body, wbits=31) == head + tail
    decoder = zlib.decompressobj(wbits=31)  # one member, nothing after it (httpx's and urllib3's decoders)
    assert decoder.decompress(body) + decoder.flush() == head + tail and decoder.eof and not decoder.unused_data
    crc, size = struct.unpack("<II", body[-8:])
    assert (crc, size) == (zlib.crc32(head + tail), len(head + tail))


@pytest.mark.parametrize("length", [0, 1, 2, 3, 7, 8, 255, 4096, 1_898_546])
def test_crc_combine_matches_zlib(length):
    tail = bytes(range(256)) * (length // 256) + bytes(range(length % 256))
    for head in (b"", b"{", b'{"timezone":"UTC","serverTime":1735689600000,'):
        assert gf2_times(zeros_operator(length), zlib.crc32(head)) ^ zlib.crc32(tail) == zlib.crc32(head + tail)


def test_a_large_json_tail_compresses_and_decodes_under_a_new_head_each_time():
    tail = b"[" + b",".join(b'{"symbol":"S%04dUSDT","status":"TRADING"}' % i for i in range(2000)) + b"]}"
    spliced = GzipTail(tail)
    assert len(spliced.deflated) < len(tail) / 10
    for t in (1, 1735689600000, 9999999999999):
        head = b'{"serverTime":%d,"symbols":' % t
        assert gzip.decompress(spliced.gzip(head)) == head + tail


@pytest.mark.parametrize(("header", "accepted"), [
    (None, False), ("", False), ("gzip", True), ("gzip, deflate", True), ("deflate, gzip;q=0.5", True),
    ("gzip;q=0", False), ("identity", False), ("*", True), ("*;q=0", False), ("br, *;q=0.1", True),
    ("gzip;q=0, *", False), ("GZIP", True), ("gzip;q=bad", False),
])
def test_accept_encoding_per_rfc_9110(header, accepted):
    assert accepts_gzip(header) is accepted
