"""Measurement helpers for the benchmarks: one timed path per fresh subprocess, JSON back.

Only the standard library is imported here, so a worker's peak RSS is what its own path costs
(plus the imports that path needs), not what the parent process had loaded.

Peak RSS is `getrusage(RUSAGE_SELF).ru_maxrss` of the worker. Linux carries that value across
exec(): a child forked (or vforked) straight from a big parent starts with the parent's peak
(the parent here has just simulated the day, ~800 MB). So workers are started through a tiny
launcher interpreter (~10 MB), whose own peak is all a worker inherits; the worker also reports
VmHWM (the peak of its own address space) as a cross-check.

    parent:  result = run_worker(__file__, "duckdb_limit", {"csv": "..."}, timeout=600)
    worker:  with Stopwatch() as watch: ...ingest...
             write_result(path, rows=n, seconds=watch.seconds)
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class WorkerFailed(RuntimeError):
    """A measured subprocess exited non-zero or did not report a result."""


class WorkerTimedOut(WorkerFailed):
    def __init__(self, name: str, timeout: float) -> None:
        super().__init__(f"{name}: no result within {timeout:g}s (killed)")
        self.timeout = timeout


# Runs argv[1:] as a child and exits with its status; no site, so it stays ~10 MB.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def vm_hwm_mb() -> float:
    """Peak RSS of this process's address space since its exec (Linux /proc), in MB; NaN elsewhere."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return math.nan


STARTED_ENV = "BENCH_TIMER_STARTED_FILE"
SETUP_TIMEOUT = 300.0  # seconds a worker may take (imports, setup) before its clock starts


class Stopwatch:
    """`with Stopwatch() as w: ...` then `w.seconds` (perf_counter wall time).

    Entering it creates the file named by $BENCH_TIMER_STARTED_FILE, if set: the parent's timeout
    counts from there, i.e. it caps the timed ingest, not interpreter start-up and imports.
    """

    def __enter__(self) -> Stopwatch:
        marker = os.environ.get(STARTED_ENV)
        if marker:
            Path(marker).touch()
        self._start = time.perf_counter()
        self.seconds = math.nan
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def write_result(path: str | Path, *, rows: int, seconds: float, **extra: Any) -> None:
    """Worker side: report rows, timed seconds and this process's peak RSS to the parent."""
    payload = {
        "rows": int(rows),
        "seconds": float(seconds),
        "peak_rss_mb": peak_rss_mb(),
        "vm_hwm_mb": vm_hwm_mb(),
        **extra,
    }
    Path(path).write_text(json.dumps(payload, default=str))


def run_worker(script: str | Path, worker: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run `python script --worker NAME --spec JSON --result FILE` in a fresh interpreter.

    `timeout` caps the timed part (from the worker's Stopwatch start); on expiry the worker is
    killed and WorkerTimedOut raised.
    """
    with tempfile.TemporaryDirectory(prefix="bmp_bench_run_") as tmp_name:
        tmp = Path(tmp_name)
        result, started, log = tmp / "result.json", tmp / "started", tmp / "output.log"
        cmd = [
            sys.executable,
            "-S",
            "-c",
            _LAUNCHER,
            sys.executable,
            str(script),
            "--worker",
            worker,
            "--spec",
            json.dumps(spec, default=str),
            "--result",
            str(result),
        ]
        env = {**os.environ, STARTED_ENV: str(started)}
        with open(log, "w") as out:
            # Own session, so a timeout kills the launcher and the worker (and nothing else).
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
            try:
                deadline = time.monotonic() + SETUP_TIMEOUT
                while proc.poll() is None and not started.exists():
                    if time.monotonic() > deadline:
                        raise subprocess.TimeoutExpired(cmd, SETUP_TIMEOUT)
                    time.sleep(0.02)
                if proc.poll() is None:
                    proc.wait(timeout=max(0.0, timeout - (time.time() - started.stat().st_mtime)))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise WorkerTimedOut(worker, timeout) from None
        if proc.returncode != 0 or not result.is_file():
            tail = "\n".join(log.read_text().strip().splitlines()[-25:])
            raise WorkerFailed(f"{worker}: exit code {proc.returncode}\n{tail}")
        return json.loads(result.read_text())


@dataclass
class Measurement:
    """Best of the repeats of one path: fastest run; peak RSS is the highest seen over the repeats."""

    path: str
    engine: str
    rows: int = 0
    seconds: float = math.inf
    peak_rss_mb: float = 0.0
    runs: list[dict[str, Any]] = field(default_factory=list)
    timed_out: bool = False  # killed after `seconds` (the timeout) of ingest: rows/s is an upper bound

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else math.nan

    def add(self, run: dict[str, Any]) -> None:
        self.runs.append(run)
        self.peak_rss_mb = max(self.peak_rss_mb, run["peak_rss_mb"])
        if run["seconds"] < self.seconds:
            self.seconds = run["seconds"]
            self.rows = run["rows"]
            self.timed_out = False

    def add_timeout(self, rows: int, timeout: float) -> None:
        if not self.runs:
            self.rows, self.seconds, self.timed_out = rows, timeout, True


def ratio(a: Measurement | None, b: Measurement | None) -> float:
    if a is None or b is None or not b.rows_per_s:
        return math.nan
    return a.rows_per_s / b.rows_per_s


def fmt(value: float, digits: int = 2) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    numeric = [i > 1 for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [str(c).rjust(w) if num else str(c).ljust(w) for c, w, num in zip(cells, widths, numeric, strict=True)]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        ("-" * (w + 1) + ":") if num else "-" * (w + 2) for w, num in zip(widths, numeric, strict=True)
    )
    return "\n".join([line(header), rule + "|", *(line(r) for r in rows)])
