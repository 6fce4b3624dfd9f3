"""The zip member stream: read from the file as it inflates, the sha256 that of every byte of the file."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from binance_assets.binance.inflate import DeflatedMember
from binance_assets.binance.reader import read_archive

ROWS = b"".join(
    f"{100 + i},92792.{i:08d},0.00129000,119.70174450,{1735603200213 + i},False,True\n".encode() for i in range(5_000)
)
NAME = "BTCUSDT-trades-2024-12-31.csv"


def _zip(path: Path, members: list[tuple[str, bytes, int]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, compression in members:
            zf.writestr(name, data, compress_type=compression)
    return path


@pytest.mark.parametrize(
    "members",
    [
        [(NAME, ROWS, zipfile.ZIP_DEFLATED)],
        # the CSV after another member (its local header further in) and another one after it
        [
            ("README.txt", b"x" * 70_000, zipfile.ZIP_DEFLATED),
            (NAME, ROWS, zipfile.ZIP_DEFLATED),
            ("NOTICE.txt", b"y" * 3, zipfile.ZIP_STORED),
        ],
        [(NAME, ROWS, zipfile.ZIP_STORED)],  # not deflated: zipfile reads it, from the bytes hashed
    ],
    ids=["one-member", "csv-between-others", "stored"],
)
def test_the_sha256_is_that_of_the_whole_file_and_the_rows_are_all_there(tmp_path: Path, members) -> None:
    path = _zip(tmp_path / "BTCUSDT-trades-2024-12-31.zip", members)
    contents = read_archive(path)
    assert contents.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert contents.table.num_rows == 5_000
    assert contents.table["trade_id"].to_pylist() == list(range(100, 5_100))


def test_the_stream_reads_the_file_in_chunks_and_knows_its_sha256_only_at_the_end(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.zip", [(NAME, ROWS * 40, zipfile.ZIP_DEFLATED)])
    with zipfile.ZipFile(path) as zf:
        (info,) = zf.infolist()
    with DeflatedMember(path, info) as member:
        first = member.read(1 << 16)
        assert first and ROWS.startswith(first[: len(ROWS)])
        with pytest.raises(RuntimeError, match="once the member is read to its end"):
            _ = member.sha256
        rest = b"".join(iter(lambda: member.read(1 << 20), b""))
        assert first + rest == ROWS * 40
        assert member.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_member_data_cut_short_is_a_bad_zip_before_anything_is_inflated(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.zip", [(NAME, ROWS, zipfile.ZIP_DEFLATED)])
    with zipfile.ZipFile(path) as zf:
        (info,) = zf.infolist()
    path.write_bytes(path.read_bytes()[: info.compress_size // 2])  # the central directory is read already
    with pytest.raises(zipfile.BadZipFile, match="is truncated"):
        DeflatedMember(path, info)
