"""Real Binance archive samples (shared/fixtures/binance) parse to the right values."""

from __future__ import annotations

import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from binance_assets.binance.checksum import parse_checksum
from binance_assets.binance.inspect import inspect_archive
from binance_assets.binance.reader import find_duplicate_ids, read_archive, read_csv_bytes
from binance_assets.binance.schema import SCHEMAS, ArchiveKind, Market

SAMPLES = [
    "spot/BTCUSDT-trades-2024-12-31.head217.csv",
    "spot/BTCUSDT-aggTrades-2023-11-17.csv",
    "spot/BTCUSDT-1m-2026-09-15.csv",
    "spot/ADABTC-1m-2021-11-27.csv",
    "spot/ADABTC-1m-2021-11-28.csv",
    "um/BTCUSDT-trades-2026-09-15.csv",
    "um/BTCUSDT-aggTrades-2026-09-15.csv",
]


def test_every_sample_is_listed(fixtures_dir: Path) -> None:
    found = {str(p.relative_to(fixtures_dir)) for p in fixtures_dir.glob("*/*.csv")}
    assert found == set(SAMPLES)


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_parses_to_canonical_schema(fixtures_dir: Path, name: str) -> None:
    path = fixtures_dir / name
    contents = read_archive(path)
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert contents.table.schema == SCHEMAS[contents.kind]
    assert contents.table.num_rows == len(lines) - int(contents.had_header)
    assert contents.csv_name == path.name
    assert find_duplicate_ids(contents) == []


def test_spot_trades_values(fixtures_dir: Path) -> None:
    c = read_archive(fixtures_dir / "spot/BTCUSDT-trades-2024-12-31.head217.csv")
    assert (c.kind, c.market, c.timestamp_unit, c.had_header) == (ArchiveKind.TRADES, Market.SPOT, "ms", False)
    first = c.table.slice(0, 1).to_pylist()[0]
    assert first == {
        "trade_id": 4356587539,
        "price": 92792.05,
        "qty": 0.00129,
        "quote_qty": 119.7017445,
        "trade_time": datetime(2024, 12, 31, 0, 0, 0, 213000),
        "is_buyer_maker": False,
        "is_best_match": True,
    }
    ids = c.table["trade_id"].to_numpy()
    assert np.all(np.diff(ids) == 1) and ids[-1] == 4356587539 + 216
    t = c.table.to_pandas()
    assert np.allclose(t.price * t.qty, t.quote_qty, rtol=1e-12)
    assert t.trade_time.is_monotonic_increasing
    assert t.trade_time.dt.date.astype(str).eq("2024-12-31").all()


def test_spot_klines_microseconds(fixtures_dir: Path) -> None:
    c = read_archive(fixtures_dir / "spot/BTCUSDT-1m-2026-09-15.csv")
    assert (c.kind, c.market, c.timestamp_unit) == (ArchiveKind.KLINES, Market.SPOT, "us")
    row = c.table.slice(0, 1).to_pylist()[0]
    assert row["open_time"] == datetime(2026, 9, 15)
    assert row["close_time"] == datetime(2026, 9, 15, 0, 0, 59, 999999)
    assert (row["open"], row["high"], row["trade_count"]) == (78189.2, 78200.23, 1076)
    assert "ignore" not in c.table.column_names


def test_spot_klines_milliseconds_spacing(fixtures_dir: Path) -> None:
    c = read_archive(fixtures_dir / "spot/ADABTC-1m-2021-11-28.csv")
    assert c.timestamp_unit == "ms" and c.market is None  # headerless ms klines: spot or futures
    opens = c.table["open_time"].cast(pa.int64()).to_numpy()
    closes = c.table["close_time"].cast(pa.int64()).to_numpy()
    assert np.all(np.diff(opens) == 60_000_000)
    assert np.all(closes - opens == 60_000_000 - 1000)
    assert c.table["open"][0].as_py() == 0.0000282


def test_spot_agg_trades_continuity(fixtures_dir: Path) -> None:
    c = read_archive(fixtures_dir / "spot/BTCUSDT-aggTrades-2023-11-17.csv")
    assert (c.kind, c.market, c.timestamp_unit) == (ArchiveKind.AGG_TRADES, Market.SPOT, "ms")
    t = c.table.to_pandas()
    assert t.agg_trade_id.iloc[0] == 2759293842
    assert (t.first_trade_id.iloc[1:].to_numpy() == t.last_trade_id.iloc[:-1].to_numpy() + 1).all()
    assert t.is_buyer_maker.tolist() == [True, True, False, False]


def test_um_trades_header_and_lowercase_booleans(fixtures_dir: Path) -> None:
    c = read_archive(fixtures_dir / "um/BTCUSDT-trades-2026-09-15.csv")
    assert (c.kind, c.market, c.had_header, c.timestamp_unit) == (ArchiveKind.TRADES, Market.FUTURES_UM, True, "ms")
    assert c.table["is_buyer_maker"].to_pylist() == [False, True, True]
    assert c.table["is_best_match"].null_count == 3
    assert c.table["trade_id"].to_pylist() == [8078264332, 8078264333, 8078264334]
    assert c.table["quote_qty"][1].as_py() == 1094.1406


def test_um_agg_trades_continuity(fixtures_dir: Path) -> None:
    c = read_archive(fixtures_dir / "um/BTCUSDT-aggTrades-2026-09-15.csv")
    assert (c.kind, c.market, c.had_header) == (ArchiveKind.AGG_TRADES, Market.FUTURES_UM, True)
    t = c.table.to_pandas()
    assert (t.first_trade_id.iloc[1:].to_numpy() == t.last_trade_id.iloc[:-1].to_numpy() + 1).all()
    assert t.last_trade_id.iloc[1] == 8078264336


def test_kind_from_header_and_shape_when_name_says_nothing(fixtures_dir: Path) -> None:
    um_trades = (fixtures_dir / "um/BTCUSDT-trades-2026-09-15.csv").read_bytes()
    assert read_csv_bytes(um_trades, name="data.csv").kind is ArchiveKind.TRADES
    um_agg = (fixtures_dir / "um/BTCUSDT-aggTrades-2026-09-15.csv").read_bytes()
    headerless = um_agg.split(b"\n", 1)[1]  # pre-2022 futures: no header, 7 columns
    c = read_csv_bytes(headerless, name="data.csv")
    assert (c.kind, c.market, c.had_header) == (ArchiveKind.AGG_TRADES, Market.FUTURES_UM, False)
    spot = (fixtures_dir / "spot/BTCUSDT-trades-2024-12-31.head217.csv").read_bytes()
    assert read_csv_bytes(spot, name="data.csv").kind is ArchiveKind.TRADES
    spot_agg = (fixtures_dir / "spot/BTCUSDT-aggTrades-2023-11-17.csv").read_bytes()
    assert read_csv_bytes(spot_agg, name="data.csv").kind is ArchiveKind.AGG_TRADES
    kl = (fixtures_dir / "spot/ADABTC-1m-2021-11-27.csv").read_bytes()
    assert read_csv_bytes(kl, name="data.csv").kind is ArchiveKind.KLINES


def test_zipped_sample_equals_plain(fixtures_dir: Path, tmp_path: Path) -> None:
    src = fixtures_dir / "spot/BTCUSDT-trades-2024-12-31.head217.csv"
    zpath = tmp_path / "BTCUSDT-trades-2024-12-31.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(src, "BTCUSDT-trades-2024-12-31.csv")
    zipped, plain = read_archive(zpath), read_archive(src)
    assert zipped.table.equals(plain.table)
    assert zipped.csv_name == "BTCUSDT-trades-2024-12-31.csv"
    assert zipped.sha256 != plain.sha256  # the sha256 of the file given, not of the CSV


def test_explicit_kind_overrides_name(fixtures_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT-aggTrades-2026-09-15.csv"  # misnamed on purpose
    shutil.copy(fixtures_dir / "um/BTCUSDT-trades-2026-09-15.csv", path)
    assert read_archive(path, kind=ArchiveKind.TRADES).kind is ArchiveKind.TRADES


def test_real_checksums_parse(fixtures_dir: Path) -> None:
    spot = fixtures_dir / "checksums/spot/BTCUSDT-trades-2017-08-17.zip.CHECKSUM"
    assert not spot.read_bytes().endswith(b"\n")
    assert parse_checksum(spot) == (
        "a23fe0dae54b7143d5cffb42184e1a05afe7124aaca641cd438297ce83c9f9ec",
        "BTCUSDT-trades-2017-08-17.zip",
    )
    um = fixtures_dir / "checksums/um/BTCUSDT-trades-2019-09-09.zip.CHECKSUM"
    assert um.read_bytes().endswith(b"\n")
    assert parse_checksum(um.read_text()) == (
        "3a7729ddd917c80dc1c6e2eac2f0cb069d3ccb827f46a1cd0a7959e74a0422ad",
        "BTCUSDT-trades-2019-09-09.zip",
    )


def test_inspect_real_samples(fixtures_dir: Path) -> None:
    info = inspect_archive(fixtures_dir / "spot/BTCUSDT-trades-2024-12-31.head217.csv")
    assert info["kind"] == "trades" and info["market"] == "spot" and info["rows"] == 217
    assert info["first_id"] == 4356587539 and info["last_id"] == 4356587539 + 216
    assert info["first_time"] == "2024-12-31T00:00:00.213Z"
    assert info["checksum_ok"] is None
    kl = inspect_archive(fixtures_dir / "spot/BTCUSDT-1m-2026-09-15.csv")
    assert kl["first_time"] == "2026-09-15T00:00:00.000000Z"
    assert kl["last_time"] == "2026-09-15T00:03:00.000000Z"
    assert kl["first_id"] is None and kl["timestamp_unit"] == "us"
    um = inspect_archive(fixtures_dir / "um/BTCUSDT-trades-2026-09-15.csv")
    assert um["market"] == "futures/um" and um["had_header"] is True
