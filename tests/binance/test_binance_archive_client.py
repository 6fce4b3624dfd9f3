"""ArchiveClient against a local mirror folder and a real loopback HTTP server."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.binance.duplicates import check_no_duplicate_ids, find_duplicate_ids
from binance_assets.binance.errors import (
    ArchiveNotYetAvailable,
    ChecksumFileError,
    ChecksumMismatch,
    ColumnCountError,
    CorruptArchive,
    DownloadError,
    DuplicateIds,
    UnknownSymbol,
)
from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.sim_render import write_archive
from binance_assets.binance.simulator import simulate_day
from binance_assets.binance.urls import ArchiveSpec

DAY = date(2025, 1, 1)
SPEC = ArchiveSpec("BTCUSDT", ArchiveKind.TRADES, day=DAY)
AGG = ArchiveSpec("ETHUSDT", ArchiveKind.AGG_TRADES, day=date(2024, 12, 31))


def _client(base: str | Path, tmp_path: Path, **kwargs) -> ArchiveClient:
    kwargs.setdefault("backoff", 0.001)
    kwargs.setdefault("max_backoff", 0.01)
    return ArchiveClient(str(base), tmp_path / "downloads", tmp_path / "quarantine", **kwargs)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def own_mirror(sim_mirror: Path, tmp_path: Path) -> Path:
    """A writable copy of the simulated mirror, for tests that damage it."""
    return Path(shutil.copytree(sim_mirror, tmp_path / "mirror"))


def _replace_trades_csv(mirror: Path, spec: ArchiveSpec, data: bytes) -> None:
    """Swap the archive's CSV and write a matching CHECKSUM (a defect Binance could publish)."""
    write_archive(mirror / spec.relative_path, spec.csv_name, data, spec.day)


# -- local mirror ------------------------------------------------------------------------------


@pytest.mark.parametrize("as_url", [False, True])
def test_mirror_fetch_and_load(sim_mirror: Path, tmp_path: Path, as_url: bool) -> None:
    base = sim_mirror.as_uri() if as_url else str(sim_mirror)
    client = _client(base, tmp_path)
    fetched = client.fetch(SPEC)
    assert fetched.local_path == sim_mirror / SPEC.relative_path  # read in place
    assert fetched.checksum_ok and fetched.sha256 == fetched.expected_sha256
    loaded = client.load(AGG)
    expected = simulate_day("ETHUSDT", AGG.day, trades_per_day=3000).agg_trades
    assert loaded.contents.table.equals(expected)
    assert _files(tmp_path / "downloads") == []


def test_mirror_missing_day_is_not_yet_available(sim_mirror: Path, tmp_path: Path) -> None:
    spec = ArchiveSpec("BTCUSDT", ArchiveKind.TRADES, day=date(2025, 1, 2))
    with pytest.raises(ArchiveNotYetAvailable, match="not yet published"):
        _client(sim_mirror, tmp_path).fetch(spec)


def test_mirror_unknown_symbol(sim_mirror: Path, tmp_path: Path) -> None:
    spec = ArchiveSpec("DOGEUSDT", ArchiveKind.TRADES, day=DAY)
    with pytest.raises(UnknownSymbol, match="DOGEUSDT"):
        _client(sim_mirror, tmp_path).fetch(spec)
    missing = ArchiveSpec("BTCUSDT", ArchiveKind.TRADES, day=date(2025, 1, 2))
    with pytest.raises(UnknownSymbol):
        _client(sim_mirror, tmp_path, known_symbols={"ETHUSDT"}).fetch(missing)


def test_mirror_missing_checksum(own_mirror: Path, tmp_path: Path) -> None:
    (own_mirror / SPEC.checksum_relative_path).unlink()
    with pytest.raises(ArchiveNotYetAvailable, match="checksum not yet published"):
        _client(own_mirror, tmp_path).fetch(SPEC)


def test_mirror_checksum_mismatch_quarantines_copy(own_mirror: Path, tmp_path: Path) -> None:
    zip_path = own_mirror / SPEC.relative_path
    zip_path.write_bytes(zip_path.read_bytes() + b"tampered")
    before = zip_path.read_bytes()
    client = _client(own_mirror, tmp_path)
    with pytest.raises(ChecksumMismatch, match=r"expected [0-9a-f]{64}, actual [0-9a-f]{64}"):
        client.fetch(SPEC)
    quarantined = tmp_path / "quarantine" / SPEC.relative_path
    assert quarantined.read_bytes() == before
    assert (quarantined.parent / (SPEC.file_name + ".CHECKSUM")).is_file()
    assert zip_path.read_bytes() == before  # the mirror is never modified


def test_mirror_bad_checksum_file(own_mirror: Path, tmp_path: Path) -> None:
    (own_mirror / SPEC.checksum_relative_path).write_text("garbage")
    with pytest.raises(ChecksumFileError):
        _client(own_mirror, tmp_path).fetch(SPEC)


def test_mirror_corrupt_zip_with_matching_checksum(own_mirror: Path, tmp_path: Path) -> None:
    zip_path = own_mirror / SPEC.relative_path
    truncated = zip_path.read_bytes()[:1000]
    zip_path.write_bytes(truncated)
    (own_mirror / SPEC.checksum_relative_path).write_text(f"{hashlib.sha256(truncated).hexdigest()}  {SPEC.file_name}")
    with pytest.raises(CorruptArchive):
        _client(own_mirror, tmp_path).load(SPEC)
    assert (tmp_path / "quarantine" / SPEC.relative_path).read_bytes() == truncated
    assert zip_path.is_file()


def test_mirror_damaged_member_with_matching_checksum(own_mirror: Path, tmp_path: Path) -> None:
    """One byte changed mid-member (the CHECKSUM rewritten to match): the zip's CRC catches it."""
    zip_path = own_mirror / SPEC.relative_path
    with zipfile.ZipFile(zip_path) as zf:
        info = zf.infolist()[0]
        assert info.file_size > 2 * 65536  # the damage lies past the part read to sniff the format
    raw = bytearray(zip_path.read_bytes())
    data_start = info.header_offset + 30 + int.from_bytes(raw[26:28], "little") + int.from_bytes(raw[28:30], "little")
    raw[data_start + info.compress_size // 2] ^= 0x10
    zip_path.write_bytes(bytes(raw))
    (own_mirror / SPEC.checksum_relative_path).write_text(f"{hashlib.sha256(raw).hexdigest()}  {SPEC.file_name}")
    with pytest.raises(CorruptArchive, match=rf"{SPEC.file_name}: unreadable zip"):
        _client(own_mirror, tmp_path).load(SPEC)
    assert (tmp_path / "quarantine" / SPEC.relative_path).read_bytes() == bytes(raw)


def test_mirror_duplicate_ids_are_left_to_the_pipeline_checks(own_mirror: Path, tmp_path: Path) -> None:
    data = simulate_day("BTCUSDT", DAY, trades_per_day=3000).csv_bytes(ArchiveKind.TRADES)
    lines = data.split(b"\n")
    _replace_trades_csv(own_mirror, SPEC, b"\n".join(lines[:10] + lines[9:]))
    # Duplicate ids are a row rule (the pipeline's blocking `unique_ids` check), not a parse error:
    # the client parses the file, the load refuses to publish it and quarantines it.
    loaded = _client(own_mirror, tmp_path).load(SPEC)
    assert len(find_duplicate_ids(loaded.contents)) == 1
    with pytest.raises(DuplicateIds, match="trade_id"):
        check_no_duplicate_ids(loaded.contents)
    assert not (tmp_path / "quarantine" / SPEC.relative_path).exists()


# -- HTTP --------------------------------------------------------------------------------------


def test_http_fetch_and_load(http_server, sim_mirror: Path, tmp_path: Path) -> None:
    base = http_server.route("ok", sim_mirror)
    client = _client(base, tmp_path)
    loaded = client.load(SPEC)
    final = tmp_path / "downloads" / SPEC.relative_path
    assert loaded.fetched.local_path == final
    assert loaded.fetched.url == f"{base}/{SPEC.relative_path}"
    assert final.read_bytes() == (sim_mirror / SPEC.relative_path).read_bytes()
    assert (tmp_path / "downloads" / SPEC.checksum_relative_path).is_file()
    expected = simulate_day("BTCUSDT", DAY, trades_per_day=3000).trades
    assert loaded.contents.table.equals(expected)
    assert [p.name for p in _files(tmp_path / "downloads")] == [SPEC.file_name, SPEC.file_name + ".CHECKSUM"]


def test_http_404_not_yet_published(http_server, sim_mirror: Path, tmp_path: Path) -> None:
    base = http_server.route("ok", sim_mirror)
    spec = ArchiveSpec("BTCUSDT", ArchiveKind.TRADES, day=date(2025, 1, 2))
    with pytest.raises(ArchiveNotYetAvailable, match="not yet published"):
        _client(base, tmp_path).fetch(spec)
    with pytest.raises(UnknownSymbol):
        _client(base, tmp_path, known_symbols={"ETHUSDT"}).fetch(spec)
    assert _files(tmp_path / "downloads") == []


def test_http_missing_checksum(http_server, own_mirror: Path, tmp_path: Path) -> None:
    (own_mirror / SPEC.checksum_relative_path).unlink()
    base = http_server.route("nochecksum", own_mirror)
    with pytest.raises(ArchiveNotYetAvailable, match="checksum not yet published"):
        _client(base, tmp_path).fetch(SPEC)
    assert _files(tmp_path / "downloads") == []


def test_http_429_then_file(http_server, sim_mirror: Path, tmp_path: Path) -> None:
    base = http_server.route("slow", sim_mirror, mode="429once")
    fetched = _client(base, tmp_path).fetch(SPEC)
    assert fetched.checksum_ok
    assert http_server.hits[f"/slow/{SPEC.relative_path}"] == 2


def test_http_500_gives_download_error(http_server, sim_mirror: Path, tmp_path: Path) -> None:
    base = http_server.route("broken", sim_mirror, mode="500")
    with pytest.raises(DownloadError, match="HTTP 500"):
        _client(base, tmp_path, retries=2).fetch(SPEC)
    assert http_server.hits[f"/broken/{SPEC.relative_path}"] == 3
    assert _files(tmp_path / "downloads") == []


def test_http_connection_refused(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="ConnectionError"):
        _client("http://127.0.0.1:9", tmp_path, retries=1).fetch(SPEC)
    assert _files(tmp_path / "downloads") == []


def test_http_checksum_mismatch(http_server, own_mirror: Path, tmp_path: Path) -> None:
    zip_path = own_mirror / SPEC.relative_path
    zip_path.write_bytes(zip_path.read_bytes() + b"replaced")
    base = http_server.route("tampered", own_mirror)
    with pytest.raises(ChecksumMismatch, match=SPEC.file_name):
        _client(base, tmp_path).fetch(SPEC)
    assert _files(tmp_path / "downloads") == []
    assert (tmp_path / "quarantine" / SPEC.relative_path).read_bytes() == zip_path.read_bytes()


def test_http_bad_content_is_moved_to_quarantine(http_server, own_mirror: Path, tmp_path: Path):
    _replace_trades_csv(own_mirror, SPEC, b"1,2,3\n")
    base = http_server.route("badcsv", own_mirror)
    with pytest.raises(ColumnCountError):
        _client(base, tmp_path).load(SPEC)
    assert not (tmp_path / "downloads" / SPEC.relative_path).exists()
    assert (tmp_path / "quarantine" / SPEC.relative_path).is_file()
