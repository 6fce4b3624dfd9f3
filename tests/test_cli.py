"""The `binance-assets` command as a user runs it: a real subprocess, its stdout, stderr and exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).parent / "binance-assets")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def sim_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli-mirror")
    proc = run("simulate", "--out", str(out), "--symbols", "BTCUSDT", "--start", "2024-12-31", "--days", "2",
               "--trades-per-day", "2000", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    return out


def test_simulate_writes_the_archive_layout(sim_out):
    zips = sorted(p.relative_to(sim_out).as_posix() for p in sim_out.rglob("*.zip"))
    assert "data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-12-31.zip" in zips
    assert "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-01.zip" in zips
    assert len(zips) == 2 * 3
    assert len(list(sim_out.rglob("*.zip.CHECKSUM"))) == 6


def test_simulate_a_universe_with_any_names_lists_them_in_exchange_info(tmp_path):
    out = tmp_path / "mirror"
    proc = run("simulate", "--out", str(out), "--universe", "6", "--symbols", "ZZTOP1,A1B2", "--days", "2",
               "--total-trades", "900", "--seed", "4")
    assert proc.returncode == 0, proc.stderr
    info = json.loads((out / "api/v3/exchangeInfo").read_text())
    listed = {s["symbol"]: s["status"] for s in info["symbols"]}
    assert listed["ZZTOP1"] == listed["A1B2"] == "TRADING" and len(listed) <= 6
    day_files = {p.name for p in out.rglob("*-trades-2025-01-02.zip")}
    assert {"ZZTOP1-trades-2025-01-02.zip", "A1B2-trades-2025-01-02.zip"} <= day_files
    assert "6 symbols" in proc.stdout and "trades in" in proc.stdout
    bad = run("simulate", "--out", str(out), "--universe", "1", "--symbols", "ZZTOP1,A1B2")
    assert bad.returncode == 2 and "size must be an int >= the 2 named symbol(s)" in bad.stderr


def test_validate_simulated_zip_uses_the_checksum_beside_it(sim_out):
    path = sim_out / "data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-01.zip"
    proc = run("validate-archive", str(path))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["kind"] == "trades"
    assert summary["timestamp_unit"] == "us"
    assert summary["checksum_ok"] is True
    assert summary["sha256"] == (path.parent / (path.name + ".CHECKSUM")).read_text().split()[0]
    assert summary["rows"] == summary["last_id"] - summary["first_id"] + 1
    assert summary["first_time"].startswith("2025-01-01T") and summary["first_time"].endswith("Z")
    assert len(summary["first_time"].split(".")[1]) == len("123456Z")


def test_validate_millisecond_klines_of_2024(sim_out):
    proc = run("validate-archive", str(sim_out / "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-12-31.zip"))
    summary = json.loads(proc.stdout)
    assert (summary["kind"], summary["rows"], summary["timestamp_unit"]) == ("klines", 1440, "ms")
    assert summary["first_id"] is None and summary["last_id"] is None
    assert summary["first_time"] == "2024-12-31T00:00:00.000Z"
    assert summary["last_time"] == "2024-12-31T23:59:00.000Z"


def test_validate_real_futures_trades_with_header(fixtures_dir):
    proc = run("validate-archive", str(fixtures_dir / "um/BTCUSDT-trades-2026-09-15.csv"))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["kind"] == "trades"
    assert summary["had_header"] is True
    assert summary["timestamp_unit"] == "ms"
    assert summary["first_id"] == 8078264332
    assert summary["first_time"] == "2026-09-15T00:00:00.003Z"
    assert summary["checksum_ok"] is None


def test_validate_real_microsecond_klines(fixtures_dir):
    summary = json.loads(run("validate-archive", str(fixtures_dir / "spot/BTCUSDT-1m-2026-09-15.csv")).stdout)
    assert (summary["kind"], summary["timestamp_unit"]) == ("klines", "us")
    assert summary["first_time"] == "2026-09-15T00:00:00.000000Z"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"PK\x03\x04 this is not really a zip", "CorruptArchive"),
        (b"", "EmptyArchive"),
        (b"1,2,3\n", "ColumnCountError"),
        (b"4356587539,abc,0.001,1.0,1735603200213,False,True\n", "FieldParseError"),
    ],
)
def test_bad_input_gives_one_specific_line_and_non_zero_exit(tmp_path, content, error):
    suffix = ".zip" if content.startswith(b"PK") else ".csv"
    path = tmp_path / f"BTCUSDT-trades-2024-12-31{suffix}"
    path.write_bytes(content)
    proc = run("validate-archive", str(path))
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {error}: "), proc.stderr
    assert "Traceback" not in proc.stderr


def test_checksum_mismatch_is_reported(sim_out, tmp_path):
    source = sim_out / "data/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-01-01.zip"
    wrong = tmp_path / "wrong.CHECKSUM"
    wrong.write_text("0" * 64 + "  " + source.name)
    proc = run("validate-archive", str(source), "--checksum", str(wrong))
    assert proc.returncode != 0
    assert proc.stderr.startswith("error: ChecksumMismatch: ")


def test_archive_commands_start_without_importing_dagster():
    """`validate-archive` and `simulate` are the Binance library's commands: they start in a fraction of a second
    because the CLI imports Dagster only in the commands that run it (importing it costs ~0.5 s of every call)."""
    code = ("import sys; from binance_assets import cli; "
            "sys.argv = ['binance-assets', 'validate-archive', '--help']\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m == 'dagster' or m.startswith('dagster.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
