"""Every kind of bad archive raises its own exception, naming the file (and the line)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from binance_assets.binance.errors import (
    ArchiveLayoutError,
    BinanceDataError,
    ColumnCountError,
    CorruptArchive,
    DuplicateIds,
    EmptyArchive,
    FieldParseError,
    UnknownFormat,
)
from binance_assets.binance.reader import (
    check_no_duplicate_ids,
    find_duplicate_ids,
    read_archive,
    read_csv_bytes,
)
from binance_assets.binance.schema import ArchiveKind

GOOD = (
    b"100,92792.05000000,0.00129000,119.70174450,1735603200213,False,True\n"
    b"101,92792.05000000,0.00018000,16.70256900,1735603200248,True,True\n"
    b"102,92792.06000000,0.00100000,92.79206000,1735603200250,False,True\n"
)
NAME = "BTCUSDT-trades-2024-12-31.csv"


def _zip(tmp_path: Path, members: dict[str, bytes], name: str = "BTCUSDT-trades-2024-12-31.zip"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def test_good_zip_reads(tmp_path: Path) -> None:
    c = read_archive(_zip(tmp_path, {NAME: GOOD}))
    assert c.table.num_rows == 3 and c.kind is ArchiveKind.TRADES


def test_truncated_zip(tmp_path: Path) -> None:
    path = _zip(tmp_path, {NAME: GOOD * 200})
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(CorruptArchive, match=str(path.name)):
        read_archive(path)


def test_damaged_member_is_corrupt(tmp_path: Path) -> None:
    path = _zip(tmp_path, {NAME: GOOD * 200})
    raw = bytearray(path.read_bytes())
    raw[60:70] = b"\x00" * 10  # inside the deflated data: CRC / inflate error
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptArchive):
        read_archive(path)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT-trades-2024-12-31.zip"
    path.write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(CorruptArchive, match="not a zip"):
        read_archive(path)


def test_zip_without_csv(tmp_path: Path) -> None:
    with pytest.raises(ArchiveLayoutError, match="found 0"):
        read_archive(_zip(tmp_path, {"README.txt": b"hello"}))


def test_zip_with_two_csvs(tmp_path: Path) -> None:
    with pytest.raises(ArchiveLayoutError, match="found 2"):
        read_archive(_zip(tmp_path, {NAME: GOOD, "other.csv": GOOD}))


def test_empty_zip_file(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT-trades-2024-12-31.zip"
    path.write_bytes(b"")
    with pytest.raises(EmptyArchive, match="empty file"):
        read_archive(path)


def test_zip_with_empty_csv(tmp_path: Path) -> None:
    with pytest.raises(EmptyArchive):
        read_archive(_zip(tmp_path, {NAME: b""}))


def test_empty_and_blank_csv(tmp_path: Path) -> None:
    path = tmp_path / NAME
    path.write_bytes(b"")
    with pytest.raises(EmptyArchive):
        read_archive(path)
    with pytest.raises(EmptyArchive):
        read_csv_bytes(b"\n\n", name=NAME)


def test_header_only(tmp_path: Path) -> None:
    with pytest.raises(EmptyArchive, match="header only"):
        read_csv_bytes(b"id,price,qty,quote_qty,time,is_buyer_maker\n", name=NAME)


def test_wrong_column_count_names_line() -> None:
    bad = GOOD + b"103,92792.05000000,0.00129000,119.70174450,1735603200300,False\n"
    with pytest.raises(ColumnCountError, match=rf"{NAME} line 4: expected 7 columns"):
        read_csv_bytes(bad, name=NAME)


def test_wrong_column_count_on_first_row() -> None:
    with pytest.raises(ColumnCountError, match="line 1"):
        read_csv_bytes(b"1,2,3,4,5\n", name=NAME)


def test_wrong_column_count_in_zip_names_zip_and_line(tmp_path: Path) -> None:
    bad = GOOD + b"\n" + b"103,1.0,1.0,1.0,1735603200300,False,True,extra\n"
    path = _zip(tmp_path, {NAME: bad})
    with pytest.raises(ColumnCountError, match=r"\.zip \(BTCUSDT-trades-2024-12-31\.csv\) line 5"):
        read_archive(path)


def test_non_numeric_field_names_line_and_column() -> None:
    bad = GOOD.replace(b"92792.06000000", b"92792.06abc")
    with pytest.raises(FieldParseError, match=r"line 3, column price: cannot read '92792.06abc'"):
        read_csv_bytes(bad, name=NAME)


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        (b"101,", b"x101,", "trade_id"),
        (b"1735603200248", b"17356032002.48", "trade_time"),
        (b"True,True", b"yes,True", "is_buyer_maker"),
        (b"0.00018000", b"", "qty"),
        (b"0.00018000", b"nan", "qty"),
    ],
)
def test_bad_fields(old: bytes, new: bytes, column: str) -> None:
    with pytest.raises(FieldParseError, match=rf"line 2, column {column}"):
        read_csv_bytes(GOOD.replace(old, new, 1), name=NAME)


def test_integer_overflow_is_wrapped() -> None:
    bad = GOOD.replace(b"101,", b"999999999999999999999999,", 1)
    with pytest.raises(FieldParseError, match=NAME):
        read_csv_bytes(bad, name=NAME)


def test_mixed_timestamp_units() -> None:
    bad = GOOD.replace(b"1735603200250", b"1735603200250000")
    with pytest.raises(FieldParseError, match="line 3: timestamps mix"):
        read_csv_bytes(bad, name=NAME)


def test_unknown_format() -> None:
    with pytest.raises(UnknownFormat, match=r"data\.csv"):
        read_csv_bytes(b"1,2,3\n4,5,6\n", name="data.csv")


def test_known_kind_with_unknown_width() -> None:
    with pytest.raises(ColumnCountError, match="7 or 6 columns, got 3"):
        read_csv_bytes(b"1,2,3\n", name=NAME)


def test_no_raw_arrow_errors_escape() -> None:
    for data in (b"\xff\xfe,1,2\n", b"1,\"unterminated\n", b"1," * 20 + b"\n"):
        with pytest.raises(BinanceDataError):
            read_csv_bytes(data, name=NAME)


def test_microseconds_detected() -> None:
    data = re.sub(rb",(1735\d{9}),", rb",\g<1>000,", GOOD)  # ms -> µs, 16 digits
    c = read_csv_bytes(data, name=NAME)
    assert c.timestamp_unit == "us"
    assert c.table.equals(read_csv_bytes(GOOD, name=NAME).table)


def test_duplicate_ids() -> None:
    c = read_csv_bytes(GOOD + GOOD.split(b"\n")[1] + b"\n", name=NAME)
    assert find_duplicate_ids(c) == [101]
    with pytest.raises(DuplicateIds, match="101"):
        check_no_duplicate_ids(c)


def test_duplicate_kline_open_times(fixtures_dir: Path) -> None:
    data = (fixtures_dir / "spot/ADABTC-1m-2021-11-27.csv").read_bytes()
    first = data.split(b"\n")[0] + b"\n"
    c = read_csv_bytes(data + first, name="ADABTC-1m-2021-11-27.csv")
    assert find_duplicate_ids(c) == [1637971200000 * 1000]


def test_crlf_and_bom_accepted() -> None:
    data = b"\xef\xbb\xbf" + GOOD.replace(b"\n", b"\r\n")
    assert read_csv_bytes(data, name=NAME).table.num_rows == 3


# -- zips are streamed: only the first 64 KiB are sniffed, the rest goes straight to the parser ------

BIG = b"".join(  # ~340 KB: well past the sniffed head
    b"%d,92792.05000000,0.00129000,119.70174450,%d,False,True\n" % (i, 1735603200000 + i) for i in range(5000)
)


def _damage_middle(path: Path, new: bytes = b"7") -> None:
    """Change one byte in the middle of the (only) member's stored/deflated data; CRC left as is."""
    with zipfile.ZipFile(path) as zf:
        info = zf.infolist()[0]
    raw = bytearray(path.read_bytes())
    name_len, extra_len = int.from_bytes(raw[26:28], "little"), int.from_bytes(raw[28:30], "little")
    at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    raw[at] = new[0] if raw[at] != new[0] else ord("3")
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    ("method", "new"),
    [
        (zipfile.ZIP_STORED, b"7"),  # still a digit: only the CRC can tell
        (zipfile.ZIP_STORED, b"x"),  # the parser fails first: still CorruptArchive, not FieldParseError
        (zipfile.ZIP_DEFLATED, b"7"),
    ],
)
def test_damaged_byte_mid_member_is_corrupt(tmp_path: Path, method: int, new: bytes) -> None:
    path = tmp_path / "BTCUSDT-trades-2024-12-31.zip"
    with zipfile.ZipFile(path, "w", method) as zf:
        zf.writestr(NAME, BIG)
    assert read_archive(path).table.num_rows == 5000
    _damage_middle(path, new)
    with pytest.raises(CorruptArchive, match=rf"{path.name}: unreadable zip"):
        read_archive(path)


def test_damaged_byte_in_small_member_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT-trades-2024-12-31.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(NAME, GOOD)  # all of it within the sniffed head
    _damage_middle(path)
    with pytest.raises(CorruptArchive, match="Bad CRC-32"):
        read_archive(path)


def test_streamed_zip_equals_in_memory_parse(tmp_path: Path) -> None:
    c = read_archive(_zip(tmp_path, {NAME: b"\xef\xbb\xbf" + BIG.replace(b"\n", b"\r\n")}))
    assert c.table.equals(read_csv_bytes(BIG, name=NAME).table)
    assert c.table.num_rows == 5000 and c.csv_name == NAME and not c.had_header


@pytest.mark.parametrize(
    ("bad_row", "error", "message"),
    [
        (b"4999,1.0,1.0,1.0,1735603204999,False\n", ColumnCountError, "line 5001: expected 7 columns"),
        (b"4999,1.0,abc,1.0,1735603204999,False,True\n", FieldParseError, "line 5001, column qty: cannot read 'abc'"),
        (b"4999,1.0,nan,1.0,1735603204999,False,True\n", FieldParseError, "line 5001, column qty"),
        (b"4999,1.0,1.0,1.0,1735603204999000,False,True\n", FieldParseError, "line 5001: timestamps mix"),
    ],
)
def test_errors_past_the_sniffed_head_name_the_line(tmp_path: Path, bad_row: bytes, error: type, message: str) -> None:
    header = b"id,price,qty,quote_qty,time,is_buyer_maker,is_best_match\n"
    path = _zip(tmp_path, {NAME: header + BIG.rsplit(b"\n", 2)[0] + b"\n" + bad_row})
    with pytest.raises(error, match=rf"\.zip \({re.escape(NAME)}\) {re.escape(message)}"):
        read_archive(path)


def test_first_line_longer_than_the_sniffed_head(tmp_path: Path) -> None:
    header = b"id,price,qty,quote_qty,time,is_buyer_maker,is_best_match" + b" " * 100_000 + b"\n"
    c = read_archive(_zip(tmp_path, {NAME: header + GOOD}))
    assert c.had_header and c.table.num_rows == 3
    with pytest.raises(ColumnCountError, match=r"\) line 1: .* got 50001"):
        read_archive(_zip(tmp_path, {NAME: b"1," * 50_000 + b"1\n" + GOOD}))


def test_header_only_and_empty_zip_member(tmp_path: Path) -> None:
    header = b"id,price,qty,quote_qty,time,is_buyer_maker,is_best_match\n"
    with pytest.raises(EmptyArchive, match="header only"):
        read_archive(_zip(tmp_path, {NAME: header + b"\n" * 100_000}))
    with pytest.raises(EmptyArchive, match="empty CSV"):
        read_archive(_zip(tmp_path, {NAME: b"\r\n" * 100_000}))


def test_arrow_error_on_damaged_member_is_corrupt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the damage shows first as a CSV error (garbage in an early block), the zip is still to blame."""
    path = tmp_path / "BTCUSDT-trades-2024-12-31.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(NAME, BIG)
    _damage_middle(path, b"x")

    def parse_fails_first(source, **kwargs):
        source.read(1000)
        raise pa.ArrowInvalid("In CSV column #2: CSV conversion error to double: invalid value 'x'")

    monkeypatch.setattr(pacsv, "read_csv", parse_fails_first)
    with pytest.raises(CorruptArchive, match="Bad CRC-32"):
        read_archive(path)
