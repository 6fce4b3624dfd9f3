"""A raw load killed with SIGKILL at any point leaves the published partition exactly as it was (or,
after COMMIT, wholly the new version), and the next load succeeds. Real processes, both engines."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from support.ingestion import START

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.binance.errors import ChecksumMismatch
from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.ingestion.load import load_partition
from binance_assets.warehouse import SPOT_TRADES, DuckDBWarehouse, PostgresWarehouse
from binance_assets.warehouse.staging import PAUSE_ENV

SPEC = ArchiveSpec(symbol="BTCUSDT", kind=ArchiveKind.TRADES, day=START)
SCRIPT = Path(__file__).resolve().parents[1] / "support" / "crash_load.py"
POINTS = ["parsed", "audited", "swap", "committed"]


def zip_bytes(csv_text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(SPEC.file_name.replace(".zip", ".csv"), csv_text)
    return buffer.getvalue()


def publish_file(mirror: Path, raw: bytes) -> str:
    """Put `raw` in the mirror as the day's trades archive (with its CHECKSUM); returns its sha256."""
    digest = hashlib.sha256(raw).hexdigest()
    (mirror / SPEC.relative_path).write_bytes(raw)
    (mirror / SPEC.checksum_relative_path).write_text(f"{digest}  {SPEC.file_name}")
    return digest


def killed_load(point: str, kind: str, target: str, mirror: Path, work: Path) -> None:
    """Start a load in a new process, wait until it reaches `point`, SIGKILL it."""
    marker = work / f"paused-{point}"
    env = os.environ | {
        PAUSE_ENV: f"{point}:{marker}",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    args = [kind, target, str(mirror), str(work), SPOT_TRADES.name, START.isoformat(), SPEC.symbol]
    proc = subprocess.Popen([sys.executable, str(SCRIPT), *args], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            if proc.poll() is not None:
                raise AssertionError(f"the load ended (rc {proc.returncode}) before {point}: {proc.stderr.read()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the load did not reach {point} within 120 s")
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    marker.unlink()


def state(warehouse) -> tuple:
    """What readers see of the partition: its rows, and its current load_log row minus the load time."""
    rows = warehouse.read_partition_arrow(SPOT_TRADES, SPEC.symbol, START)
    log = warehouse.load_log(SPOT_TRADES, SPEC.symbol, START)
    return rows, {k: v for k, v in log.items() if k not in ("loaded_at", "version")} if log else None


@pytest.mark.parametrize("kind", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_sigkill_at_every_point_leaves_a_whole_partition(kind, request, tmp_path, mirror):
    if kind == "duckdb":
        target = str(tmp_path / "warehouse.duckdb")
        warehouse = DuckDBWarehouse(target)
    else:
        target = request.getfixturevalue("fresh_postgres_url")
        warehouse = PostgresWarehouse(target)
    client = ArchiveClient(base_url=str(mirror), download_dir=tmp_path / "downloads", quarantine_dir=tmp_path / "q")
    with zipfile.ZipFile(mirror / SPEC.relative_path) as archive:
        lines = archive.read(archive.namelist()[0]).decode().splitlines()
    old_file = zip_bytes("\n".join(lines) + "\n")
    new_file = zip_bytes("\n".join(lines[:-7]) + "\n")  # Binance replaced the file: 7 trades fewer

    def load_in_process(raw: bytes) -> str:
        sha = publish_file(mirror, raw)
        assert load_partition(client, warehouse, SPOT_TRADES, START, SPEC.symbol).published
        return sha

    new_sha = load_in_process(new_file)
    after = state(warehouse)
    assert after[0].num_rows == len(lines) - 7 and after[1]["sha256"] == new_sha

    for point in POINTS:
        old_sha = load_in_process(old_file)
        before = state(warehouse)
        versions = len(warehouse.load_log_history(SPOT_TRADES, START, SPEC.symbol))
        publish_file(mirror, new_file)
        killed_load(point, kind, target, mirror, tmp_path)

        if point == "committed":  # killed after COMMIT: wholly the new version, one more load_log row
            assert state(warehouse) == after
            assert len(warehouse.load_log_history(SPOT_TRADES, START, SPEC.symbol)) == versions + 1
        else:  # killed before COMMIT: exactly the old partition and load_log, nothing half-written
            assert state(warehouse) == before, point
            assert before[1]["sha256"] == old_sha
            assert len(warehouse.load_log_history(SPOT_TRADES, START, SPEC.symbol)) == versions
        # Nothing of the killed load is left in the warehouse (the rows are audited in memory, written only by
        # the publish transaction) ...
        assert warehouse.staging_tables() == [], point

        # ... and the next load publishes the new file.
        assert load_partition(client, warehouse, SPOT_TRADES, START, SPEC.symbol).published
        assert state(warehouse) == after, point
        assert warehouse.staging_tables() == []


def test_sha256_recorded_is_that_of_the_bytes_parsed(tmp_path, mirror, duckdb_path, monkeypatch):
    warehouse = DuckDBWarehouse(duckdb_path)
    client = ArchiveClient(base_url=str(mirror), download_dir=tmp_path / "downloads", quarantine_dir=tmp_path / "q")
    with zipfile.ZipFile(mirror / SPEC.relative_path) as archive:
        lines = archive.read(archive.namelist()[0]).decode().splitlines()
    good = publish_file(mirror, zip_bytes("\n".join(lines) + "\n"))
    load = load_partition(client, warehouse, SPOT_TRADES, START, SPEC.symbol)
    assert load.sha256 == good == warehouse.loaded_sha256(SPOT_TRADES, START, SPEC.symbol)

    # A mirror's file is replaced after its .CHECKSUM was read and before the file is: the one pass that reads
    # it for the parse hashes it, the bytes do not match, so nothing is loaded and nothing is recorded.
    replaced = zip_bytes("\n".join(lines[:-1]) + "\n")
    locate = ArchiveClient._fetch_mirror

    def locate_then_replace(self, spec, **kwargs):
        fetched = locate(self, spec, **kwargs)
        (mirror / SPEC.relative_path).write_bytes(replaced)
        return fetched

    monkeypatch.setattr(ArchiveClient, "_fetch_mirror", locate_then_replace)
    with pytest.raises(ChecksumMismatch, match="sha256 mismatch"):
        load_partition(client, warehouse, SPOT_TRADES, START, SPEC.symbol)
    monkeypatch.undo()

    # A download (verified by `fetch` before it is kept) replaced after that and before it is parsed: the bytes
    # parsed do not match the verified checksum; the same.
    publish_file(mirror, zip_bytes("\n".join(lines) + "\n"))
    verified = ArchiveClient(base_url=str(mirror), download_dir=tmp_path / "downloads", quarantine_dir=tmp_path / "q")
    fetch = ArchiveClient.fetch

    def fetch_then_replace(self, spec):
        fetched = fetch(verified, spec)  # hashed and matched, as a download is before it is kept
        (mirror / SPEC.relative_path).write_bytes(replaced)
        return fetched

    monkeypatch.setattr(client, "mirror", None)  # `load` takes its download path
    monkeypatch.setattr(ArchiveClient, "fetch", fetch_then_replace)
    with pytest.raises(ChecksumMismatch, match="bytes parsed"):
        load_partition(client, warehouse, SPOT_TRADES, START, SPEC.symbol)
    assert warehouse.loaded_sha256(SPOT_TRADES, START, SPEC.symbol) == good
    assert [v["sha256"] for v in warehouse.load_log_history(SPOT_TRADES, START, SPEC.symbol)] == [good]
