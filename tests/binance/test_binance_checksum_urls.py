"""Checksum files and archive paths."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from binance_assets.binance.checksum import format_checksum, parse_checksum, sha256_file, verify
from binance_assets.binance.errors import ChecksumFileError, ChecksumMismatch, UnknownSymbol
from binance_assets.binance.schema import ArchiveKind, Market
from binance_assets.binance.urls import ArchiveSpec

HEX = "a23fe0dae54b7143d5cffb42184e1a05afe7124aaca641cd438297ce83c9f9ec"


def test_sha256_file(tmp_path: Path) -> None:
    path = tmp_path / "f.zip"
    path.write_bytes(b"x" * 3_000_000)
    assert sha256_file(path, chunk_size=1000) == hashlib.sha256(b"x" * 3_000_000).hexdigest()


@pytest.mark.parametrize(
    "text",
    [
        f"{HEX}  A-trades-2020-01-01.zip",
        f"{HEX}  A-trades-2020-01-01.zip\n",
        f"{HEX.upper()}  A-trades-2020-01-01.zip\r\n",
        f"{HEX} *A-trades-2020-01-01.zip",
    ],
)
def test_parse_checksum_variants(text: str) -> None:
    assert parse_checksum(text) == (HEX, "A-trades-2020-01-01.zip")


def test_parse_checksum_from_path_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "x.CHECKSUM"
    path.write_text(f"{HEX}  x.zip")
    assert parse_checksum(path) == (HEX, "x.zip")
    assert parse_checksum(str(path)) == (HEX, "x.zip")
    assert parse_checksum(path.read_bytes()) == (HEX, "x.zip")


@pytest.mark.parametrize("text", ["", "\n", "deadbeef  x.zip", f"{HEX}x.zip", f"{HEX}  ", "<html>404</html>"])
def test_bad_checksum_text(text: str) -> None:
    with pytest.raises(ChecksumFileError):
        parse_checksum(text)


def test_missing_checksum_file(tmp_path: Path) -> None:
    with pytest.raises(ChecksumFileError, match="cannot read"):
        parse_checksum(tmp_path / "absent.CHECKSUM")


def test_format_checksum_has_no_trailing_newline() -> None:
    assert format_checksum(HEX, "x.zip") == f"{HEX}  x.zip"
    with pytest.raises(ValueError):
        format_checksum("abc", "x.zip")


def test_verify(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT-trades-2025-01-01.zip"
    path.write_bytes(b"payload")
    good = tmp_path / "good.CHECKSUM"
    good.write_text(format_checksum(hashlib.sha256(b"payload").hexdigest(), path.name))
    assert verify(path, good) == hashlib.sha256(b"payload").hexdigest()
    bad = tmp_path / "bad.CHECKSUM"
    bad.write_text(format_checksum(HEX, path.name))
    with pytest.raises(ChecksumMismatch) as info:
        verify(path, bad)
    message = str(info.value)
    assert path.name in message and HEX in message and hashlib.sha256(b"payload").hexdigest() in message


def test_verify_bad_checksum_files(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT-trades-2025-01-01.zip"
    path.write_bytes(b"payload")
    with pytest.raises(ChecksumFileError, match="missing"):
        verify(path, tmp_path / "none.CHECKSUM")
    other = tmp_path / "other.CHECKSUM"
    other.write_text(format_checksum(HEX, "ETHUSDT-trades-2025-01-01.zip"))
    with pytest.raises(ChecksumFileError, match="names"):
        verify(path, other)
    garbage = tmp_path / "garbage.CHECKSUM"
    garbage.write_text("not a checksum")
    with pytest.raises(ChecksumFileError):
        verify(path, garbage)


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        (
            ArchiveSpec("BTCUSDT", ArchiveKind.TRADES, day=date(2025, 1, 1)),
            "data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-01.zip",
        ),
        (
            ArchiveSpec("BTCUSDT", ArchiveKind.AGG_TRADES, day=date(2025, 1, 1)),
            "data/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-01-01.zip",
        ),
        (
            ArchiveSpec("BTCUSDT", ArchiveKind.KLINES, day=date(2025, 1, 1)),
            "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-01.zip",
        ),
        (
            ArchiveSpec("ETHUSDT", ArchiveKind.KLINES, month="2024-12", interval="1mo"),
            "data/spot/monthly/klines/ETHUSDT/1mo/ETHUSDT-1mo-2024-12.zip",
        ),
        (
            ArchiveSpec("BTCUSDT", ArchiveKind.TRADES, day=date(2026, 9, 15), market=Market.FUTURES_UM),
            "data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2026-09-15.zip",
        ),
        (
            ArchiveSpec("BTCUSD", "aggTrades", month="2023-01", market="futures/cm"),
            "data/futures/cm/monthly/aggTrades/BTCUSD/BTCUSD-aggTrades-2023-01.zip",
        ),
    ],
)
def test_relative_paths(spec: ArchiveSpec, path: str) -> None:
    assert spec.relative_path == path
    assert spec.file_name == path.rsplit("/", 1)[1]
    assert spec.checksum_relative_path == path + ".CHECKSUM"
    assert spec.url("https://data.binance.vision/") == f"https://data.binance.vision/{path}"
    assert spec.csv_name == spec.file_name[:-4] + ".csv"


@pytest.mark.parametrize("symbol", ["btcusdt", "B", "BTC-USDT", "BTC/USDT", "", "A" * 21])
def test_invalid_symbol(symbol: str) -> None:
    with pytest.raises(UnknownSymbol):
        ArchiveSpec(symbol, ArchiveKind.TRADES, day=date(2025, 1, 1))


def test_spec_needs_one_period() -> None:
    with pytest.raises(ValueError):
        ArchiveSpec("BTCUSDT", ArchiveKind.TRADES)
    with pytest.raises(ValueError):
        ArchiveSpec("BTCUSDT", ArchiveKind.TRADES, day=date(2025, 1, 1), month="2025-01")
    with pytest.raises(ValueError):
        ArchiveSpec("BTCUSDT", ArchiveKind.TRADES, month="2025-13")
    with pytest.raises(ValueError):
        ArchiveSpec("BTCUSDT", ArchiveKind.KLINES, day=date(2025, 1, 1), interval="7x")
