"""inspect_archive: the CLI's one-file summary."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from binance_assets.binance.errors import ChecksumMismatch
from binance_assets.binance.inspect import inspect_archive
from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.urls import ArchiveSpec


def _spec(kind: ArchiveKind, day: date) -> ArchiveSpec:
    return ArchiveSpec("BTCUSDT", kind, day=day)


def test_inspect_microsecond_trades_with_checksum_beside(sim_mirror: Path) -> None:
    path = sim_mirror / _spec(ArchiveKind.TRADES, date(2025, 1, 1)).relative_path
    info = inspect_archive(path)
    assert info["kind"] == "trades" and info["market"] == "spot"
    assert info["timestamp_unit"] == "us" and info["checksum_ok"] is True
    assert info["first_time"].startswith("2025-01-01T") and info["first_time"].endswith("Z")
    assert len(info["first_time"]) == len("2025-01-01T00:00:00.000000Z")
    assert info["last_id"] - info["first_id"] + 1 == info["rows"]
    assert len(info["sha256"]) == 64 and info["had_header"] is False


def test_inspect_millisecond_klines(sim_mirror: Path) -> None:
    path = sim_mirror / _spec(ArchiveKind.KLINES, date(2024, 12, 31)).relative_path
    info = inspect_archive(path, path.with_name(path.name + ".CHECKSUM"))
    assert info["kind"] == "klines" and info["rows"] == 1440
    assert info["first_id"] is None and info["last_id"] is None
    assert info["first_time"] == "2024-12-31T00:00:00.000Z"
    assert info["last_time"] == "2024-12-31T23:59:00.000Z"
    assert info["checksum_ok"] is True


def test_inspect_without_checksum(sim_mirror: Path, tmp_path: Path) -> None:
    src = sim_mirror / _spec(ArchiveKind.AGG_TRADES, date(2024, 12, 31)).relative_path
    path = Path(shutil.copy(src, tmp_path / src.name))
    info = inspect_archive(path)
    assert info["checksum_ok"] is None and info["kind"] == "aggTrades"


def test_inspect_checksum_mismatch_raises(sim_mirror: Path, tmp_path: Path) -> None:
    src = sim_mirror / _spec(ArchiveKind.TRADES, date(2024, 12, 31)).relative_path
    path = Path(shutil.copy(src, tmp_path / src.name))
    shutil.copy(src.with_name(src.name + ".CHECKSUM"), tmp_path / (src.name + ".CHECKSUM"))
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(ChecksumMismatch):
        inspect_archive(path)
