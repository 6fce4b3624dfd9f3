"""Finding newly landed archives (binance_assets.automation.landing); the sensor is in test_landing_sensor.py.

Real files on disk, a real moto S3 server on loopback, a real Dagster instance.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from binance_assets.automation.landing import find_landed, parse_archive_path
from binance_assets.automation.mirrors import LocalMirror, S3Mirror
from binance_assets.binance.checksum import format_checksum, sha256_file
from binance_assets.binance.schema import ArchiveKind, Market
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.binance.urls import ArchiveSpec

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
START = dt.date(2025, 1, 1)
DAY3 = START + dt.timedelta(days=2)
KINDS = (ArchiveKind.TRADES, ArchiveKind.AGG_TRADES, ArchiveKind.KLINES)
SEC = 1_000_000_000


def spec(symbol: str, kind: ArchiveKind, day: dt.date) -> ArchiveSpec:
    return ArchiveSpec(symbol, kind, day=day, market=Market.SPOT)


def expected_paths(days: list[dt.date], symbols: list[str] = SYMBOLS) -> set[str]:
    return {spec(s, k, d).relative_path for d in days for s in symbols for k in KINDS}


def paths(files) -> set[str]:
    return {f.relative_path for f in files}


def copy_in(src_root: Path, dst_root: Path, rel: str) -> None:
    """Copy one file the way a downloader would land it: new file, mtime = now."""
    (dst_root / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src_root / rel, dst_root / rel)


def set_mtime(path: Path, mtime_ns: int) -> None:
    os.utime(path, ns=(mtime_ns, mtime_ns))


def write_pair(root: Path, rel_zip: str, content: bytes = b"not really a zip") -> None:
    """A zip and a well-formed CHECKSUM for it, at any path (also outside the spot daily layout)."""
    import hashlib

    path = root / rel_zip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    (root / (rel_zip + ".CHECKSUM")).write_text(format_checksum(hashlib.sha256(content).hexdigest(), path.name))


# --- paths ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-01.zip", ("BTCUSDT", "trades", "2025-01-01")),
        (
            "data/spot/daily/aggTrades/ETHUSDT/ETHUSDT-aggTrades-2025-01-02.zip.CHECKSUM",
            ("ETHUSDT", "aggTrades", "2025-01-02"),
        ),
        ("data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-01.zip", ("BTCUSDT", "klines", "2025-01-01")),
        ("data/spot/daily/trades/BTCUSDT/ETHUSDT-trades-2025-01-01.zip", None),  # symbol folder disagrees
        ("data/spot/daily/trades/BTCUSDT/BTCUSDT-aggTrades-2025-01-01.zip", None),  # kind folder disagrees
        ("data/spot/daily/klines/BTCUSDT/BTCUSDT-1m-2025-01-01.zip", None),  # no interval folder
        ("data/spot/daily/klines/BTCUSDT/5m/BTCUSDT-1m-2025-01-01.zip", None),  # interval folder disagrees
        ("data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-02-30.zip", None),  # no such day
        ("data/spot/daily/trades/BTCUSDT/.BTCUSDT-trades-2025-01-01.zip.x1y2.part", None),
        ("README.txt", None),
    ],
)
def test_parse_archive_path(rel, expected) -> None:
    parsed = parse_archive_path(rel)
    if expected is None:
        assert parsed is None
    else:
        assert (parsed.symbol, parsed.kind.value, parsed.day.isoformat()) == expected
        assert parsed.market is Market.SPOT


def test_parse_archive_path_knows_other_markets_and_periods() -> None:
    futures = parse_archive_path("data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-01.zip")
    monthly = parse_archive_path("data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01.zip")
    five = parse_archive_path("data/spot/daily/klines/BTCUSDT/5m/BTCUSDT-5m-2025-01-01.zip")
    assert futures.market is Market.FUTURES_UM
    assert monthly.month == "2025-01"
    assert five.interval == "5m"


# --- local folder -----------------------------------------------------------------------------------------


def test_first_call_finds_every_archive_then_none(mirror) -> None:
    files, cursor = find_landed(LocalMirror(mirror), None, SYMBOLS)
    assert len(files) == 12
    assert paths(files) == expected_paths([START, START + dt.timedelta(days=1)])
    for f in files:
        assert f.spec.relative_path == f.relative_path
        assert f.sha256 == sha256_file(mirror / f.relative_path)
        assert f.checksum_text == (mirror / f.checksum_relative_path).read_text()
        assert f.landed_at_ns >= os.stat(mirror / f.checksum_relative_path).st_mtime_ns
    assert [f.landed_at_ns for f in files] == sorted(f.landed_at_ns for f in files)
    assert json.loads(cursor)["mtime_ns"] > 0  # JSON, with a watermark

    again, cursor2 = find_landed(LocalMirror(mirror), cursor, SYMBOLS)
    assert again == []
    # A restart from the stored cursor repeats nothing either.
    assert find_landed(LocalMirror(mirror), cursor2, SYMBOLS)[0] == []


def test_new_day_finds_exactly_its_six_files(mirror) -> None:
    _, cursor = find_landed(LocalMirror(mirror), None, SYMBOLS)
    simulate_mirror(mirror, SYMBOLS, DAY3, 1, seed=7, trades_per_day=200)
    files, cursor = find_landed(LocalMirror(mirror), cursor, SYMBOLS)
    assert paths(files) == expected_paths([DAY3])
    assert len(files) == 6
    assert find_landed(LocalMirror(mirror), cursor, SYMBOLS)[0] == []


def test_zip_without_checksum_is_found_once_the_checksum_lands(mirror, extra_day) -> None:
    _, cursor = find_landed(LocalMirror(mirror), None, SYMBOLS)
    one = spec("BTCUSDT", ArchiveKind.TRADES, DAY3)
    copy_in(extra_day, mirror, one.relative_path)
    files, cursor = find_landed(LocalMirror(mirror), cursor, SYMBOLS)
    assert files == []
    files, cursor = find_landed(LocalMirror(mirror), cursor, SYMBOLS)
    assert files == []

    copy_in(extra_day, mirror, one.checksum_relative_path)
    files, cursor = find_landed(LocalMirror(mirror), cursor, SYMBOLS)
    assert paths(files) == {one.relative_path}
    assert find_landed(LocalMirror(mirror), cursor, SYMBOLS)[0] == []


def test_checksum_before_zip_waits_in_pending_even_past_the_watermark(mirror, extra_day) -> None:
    _, cursor = find_landed(LocalMirror(mirror), None, SYMBOLS)
    one = spec("ETHUSDT", ArchiveKind.KLINES, DAY3)
    copy_in(extra_day, mirror, one.checksum_relative_path)
    an_hour_later = time.time_ns() + 3600 * SEC  # the watermark moves far past the checksum's time
    files, cursor = find_landed(LocalMirror(mirror), cursor, SYMBOLS, now_ns=an_hour_later)
    assert files == []
    assert one.checksum_relative_path in json.loads(cursor)["pending"]

    copy_in(extra_day, mirror, one.relative_path)
    files, cursor = find_landed(LocalMirror(mirror), cursor, SYMBOLS, now_ns=an_hour_later)
    assert paths(files) == {one.relative_path}
    assert json.loads(cursor)["pending"] == {}
    assert find_landed(LocalMirror(mirror), cursor, SYMBOLS, now_ns=an_hour_later)[0] == []


def test_unrelated_futures_monthly_other_intervals_and_symbols_are_ignored(mirror) -> None:
    _, cursor = find_landed(LocalMirror(mirror), None, SYMBOLS)
    (mirror / "README.txt").write_text("hello")
    (mirror / "data/spot/daily/trades/BTCUSDT/notes.txt").write_text("hello")
    (mirror / "data/spot/daily/trades/BTCUSDT/.BTCUSDT-trades-2025-01-03.zip.CHECKSUM.a1b2.part").write_text("x")
    write_pair(mirror, "data/futures/cm/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-03.zip")  # COIN-M: not loaded
    write_pair(mirror, "data/spot/monthly/trades/BTCUSDT/BTCUSDT-trades-2025-01.zip")
    write_pair(mirror, "data/spot/daily/klines/BTCUSDT/5m/BTCUSDT-5m-2025-01-03.zip")
    write_pair(mirror, "data/spot/daily/trades/BTCUSDT/ETHUSDT-trades-2025-01-03.zip")  # wrong folder
    simulate_mirror(mirror, ["XRPUSDT"], DAY3, 1, seed=7, trades_per_day=200)  # not configured
    files, cursor = find_landed(LocalMirror(mirror), cursor, SYMBOLS)
    assert files == []
    assert json.loads(cursor)["pending"] == {}

    # Without a symbol filter the other symbol's archives are real landings.
    files, _ = find_landed(LocalMirror(mirror), None, None)
    assert {f.symbol for f in files} == {"BTCUSDT", "ETHUSDT", "XRPUSDT"}
    assert len(files) == 15


def test_usd_m_futures_archives_are_landings_of_their_own_tables(mirror) -> None:
    _, cursor = find_landed(LocalMirror(mirror), None, SYMBOLS)
    for folder, name in (("trades", "BTCUSDT-trades-2025-01-03.zip"), ("aggTrades", "BTCUSDT-aggTrades-2025-01-03.zip"),
                         ("klines", "1m/BTCUSDT-1m-2025-01-03.zip")):
        write_pair(mirror, f"data/futures/um/daily/{folder}/BTCUSDT/{name}")
    files, _ = find_landed(LocalMirror(mirror), cursor, SYMBOLS)
    assert sorted((f.raw_table.name, f.symbol, f.day) for f in files) == [
        ("um_agg_trades", "BTCUSDT", DAY3), ("um_klines_1m", "BTCUSDT", DAY3), ("um_trades", "BTCUSDT", DAY3)]


def test_checksum_that_does_not_parse_yet_waits(mirror, extra_day) -> None:
    _, cursor = find_landed(LocalMirror(mirror), None, SYMBOLS)
    one = spec("BTCUSDT", ArchiveKind.AGG_TRADES, DAY3)
    copy_in(extra_day, mirror, one.relative_path)
    (mirror / one.checksum_relative_path).write_text("")  # being written
    files, cursor = find_landed(LocalMirror(mirror), cursor, SYMBOLS)
    assert files == []
    copy_in(extra_day, mirror, one.checksum_relative_path)
    files, cursor = find_landed(LocalMirror(mirror), cursor, SYMBOLS)
    assert paths(files) == {one.relative_path}


def test_replaced_archive_is_found_again(mirror) -> None:
    files, cursor = find_landed(LocalMirror(mirror), None, SYMBOLS)
    one = spec("BTCUSDT", ArchiveKind.TRADES, START)
    before = next(f for f in files if f.relative_path == one.relative_path)

    # Binance replaces the file: new zip, new CHECKSUM written later (mtime controlled with os.utime).
    (mirror / one.relative_path).write_bytes(b"replacement bytes")
    checksum = mirror / one.checksum_relative_path
    checksum.write_text(format_checksum("a" * 64, Path(one.relative_path).name))
    set_mtime(checksum, before.landed_at_ns + 5 * SEC)

    files, cursor = find_landed(LocalMirror(mirror), cursor, SYMBOLS)
    assert paths(files) == {one.relative_path}
    assert files[0].sha256 == "a" * 64
    assert find_landed(LocalMirror(mirror), cursor, SYMBOLS)[0] == []


def test_copy_that_keeps_an_old_mtime_still_lands(mirror, extra_day, tmp_path) -> None:
    """rsync -a / cp -p keep the source's mtime: the file must not land 'behind' the watermark."""
    _, cursor = find_landed(LocalMirror(mirror), None, SYMBOLS)
    one = spec("ETHUSDT", ArchiveKind.TRADES, DAY3)
    an_hour_ago = time.time_ns() - 3600 * SEC
    for rel in (one.relative_path, one.checksum_relative_path):
        set_mtime(extra_day / rel, an_hour_ago)
        (mirror / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(extra_day / rel, mirror / rel)
        assert (mirror / rel).stat().st_mtime_ns == an_hour_ago
    files, _ = find_landed(LocalMirror(mirror), cursor, SYMBOLS)
    assert paths(files) == {one.relative_path}


def test_limit_spreads_files_over_calls_without_loss_or_repeat(mirror) -> None:
    cursor, batches = None, []
    for _ in range(5):
        files, cursor = find_landed(LocalMirror(mirror), cursor, SYMBOLS, limit=5)
        batches.append(paths(files))
    assert [len(b) for b in batches] == [5, 5, 2, 0, 0]
    assert set().union(*batches) == expected_paths([START, START + dt.timedelta(days=1)])


def test_day_window_min_ignores_and_max_defers(mirror) -> None:
    files, _ = find_landed(LocalMirror(mirror), None, SYMBOLS, min_day=START + dt.timedelta(days=1))
    assert paths(files) == expected_paths([START + dt.timedelta(days=1)])

    files, cursor = find_landed(LocalMirror(mirror), None, SYMBOLS, max_day=START)
    assert paths(files) == expected_paths([START])
    files, cursor = find_landed(LocalMirror(mirror), cursor, SYMBOLS, max_day=START)
    assert files == []
    files, _ = find_landed(LocalMirror(mirror), cursor, SYMBOLS, max_day=START + dt.timedelta(days=1))
    assert paths(files) == expected_paths([START + dt.timedelta(days=1)])


def test_bad_cursor_is_an_error(mirror) -> None:
    with pytest.raises(ValueError, match="landing cursor"):
        find_landed(LocalMirror(mirror), "{not json", SYMBOLS)
    assert len(find_landed(LocalMirror(mirror), "", SYMBOLS)[0]) == 12  # empty = start over


def test_missing_folder_finds_nothing(tmp_path) -> None:
    files, cursor = find_landed(LocalMirror(tmp_path / "nope"), None, SYMBOLS)
    assert files == []
    assert find_landed(LocalMirror(tmp_path / "nope"), cursor, SYMBOLS)[0] == []


# --- S3 prefix (moto server on loopback) -------------------------------------------------------------------


def test_s3_prefix_behaves_like_the_folder(s3_client, bucket, upload_mirror, pristine_mirror, extra_day, tmp_path):
    prefix = "landing/binance"
    upload_mirror(pristine_mirror, prefix)
    upload_mirror(pristine_mirror, "elsewhere")  # another prefix of the same bucket: not ours
    source = S3Mirror(s3_client, bucket, prefix)

    files, cursor = find_landed(source, None, SYMBOLS)
    assert paths(files) == expected_paths([START, START + dt.timedelta(days=1)])
    assert all(f.sha256 == sha256_file(pristine_mirror / f.relative_path) for f in files)
    assert find_landed(source, cursor, SYMBOLS)[0] == []

    # A zip without its checksum waits; the checksum makes it land.
    one = spec("BTCUSDT", ArchiveKind.TRADES, DAY3)
    upload_mirror(extra_day, prefix, [one.relative_path])
    files, cursor = find_landed(source, cursor, SYMBOLS)
    assert files == []
    upload_mirror(extra_day, prefix, [one.checksum_relative_path])
    files, cursor = find_landed(source, cursor, SYMBOLS)
    assert paths(files) == {one.relative_path}

    # The rest of the new day: exactly its other 5 files.
    # (Uploading the first one again would count as landing again: a rewrite is a new version.)
    others = sorted(expected_paths([DAY3]) - {one.relative_path})
    rest = [name for rel in others for name in (rel, rel + ".CHECKSUM")]
    upload_mirror(extra_day, prefix, rest)
    files, cursor = find_landed(source, cursor, SYMBOLS)
    assert paths(files) == expected_paths([DAY3]) - {one.relative_path}

    # Unrelated keys, futures, monthly, other symbols: ignored.
    junk = tmp_path / "junk"
    (junk / "data/spot/daily").mkdir(parents=True)
    (junk / "data/spot/daily/README.txt").write_text("hello")
    write_pair(junk, "data/futures/cm/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-03.zip")
    write_pair(junk, "data/spot/monthly/trades/BTCUSDT/BTCUSDT-trades-2025-01.zip")
    write_pair(junk, "data/spot/daily/trades/XRPUSDT/XRPUSDT-trades-2025-01-03.zip")
    upload_mirror(junk, prefix)
    files, cursor = find_landed(source, cursor, SYMBOLS)
    assert files == []

    # A replaced archive (new CHECKSUM object, possibly within the same second) is found again.
    replaced = spec("ETHUSDT", ArchiveKind.KLINES, START)
    s3_client.put_object(Bucket=bucket, Key=f"{prefix}/{replaced.relative_path}", Body=b"new zip")
    s3_client.put_object(
        Bucket=bucket,
        Key=f"{prefix}/{replaced.checksum_relative_path}",
        Body=format_checksum("b" * 64, Path(replaced.relative_path).name).encode(),
    )
    files, cursor = find_landed(source, cursor, SYMBOLS)
    assert paths(files) == {replaced.relative_path}
    assert files[0].sha256 == "b" * 64
    assert find_landed(source, cursor, SYMBOLS)[0] == []
