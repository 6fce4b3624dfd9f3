"""`binance-assets validate-archive` rejects what the pipeline would refuse to publish (real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support.ingestion import START

from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.urls import ArchiveSpec

CLI = str(Path(sys.executable).parent / "binance-assets")
SPEC = ArchiveSpec(symbol="BTCUSDT", kind=ArchiveKind.TRADES, day=START)


def run(*args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # this tree's package
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, env=env)


def trade_lines(pristine_mirror: Path) -> list[str]:
    with zipfile.ZipFile(pristine_mirror / SPEC.relative_path) as archive:
        return archive.read(archive.namelist()[0]).decode().splitlines()


def write_csv(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / SPEC.file_name.replace(".zip", ".csv")
    path.write_text("\n".join(lines) + "\n")
    return path


def with_field(lines: list[str], row: int, column: int, value: str) -> list[str]:
    fields = lines[row].split(",")
    fields[column] = value
    return [*lines[:row], ",".join(fields), *lines[row + 1 :]]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("duplicate_id", "unique_ids: 1 duplicated trade_id values: "),
        ("negative_qty", "pandera_schema: "),
        ("next_day_time", "trade_time_inside_partition_day"),
    ],
)
def test_validate_archive_rejects_what_the_pipeline_rejects(pristine_mirror, tmp_path, damage, message):
    lines = trade_lines(pristine_mirror)
    if damage == "duplicate_id":
        lines = [*lines, lines[-1]]
        expected_failed = "unique_ids"
    elif damage == "negative_qty":
        lines = with_field(lines, 4, 2, "-" + lines[4].split(",")[2])
        expected_failed = "pandera_schema"
    else:
        lines = with_field(lines, 4, 4, str(int(lines[4].split(",")[4]) + 86_400_000_000))
        expected_failed = "pandera_schema"
    proc = run("validate-archive", str(write_csv(tmp_path, lines)))

    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "would not be published, blocking checks failed" in errors[0], proc.stderr
    assert message in errors[0], errors[0]
    summary = json.loads(proc.stdout)
    assert summary["accepted"] is False
    failed = {c["name"] for c in summary["checks"] if not c["passed"]}
    assert expected_failed in failed
    if damage == "negative_qty":
        assert "greater_than(0) on qty" in errors[0]


def test_validate_archive_accepts_a_good_file_and_warns_about_id_gaps(pristine_mirror, tmp_path):
    lines = trade_lines(pristine_mirror)
    proc = run("validate-archive", str(write_csv(tmp_path, [*lines[:10], *lines[12:]])))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["accepted"] is True and (summary["symbol"], summary["trade_date"]) == ("BTCUSDT", "2025-01-01")
    assert {c["name"]: c["passed"] for c in summary["checks"]} == {
        "pandera_schema": True,
        "unique_ids": True,
        "id_continuity": False,
    }
    assert proc.stderr.strip() == "warning: id_continuity: 1 id gaps (2 missing ids)"
