"""Every benchmark in benchmarks/ runs to its end in smoke mode (`--smoke`: tiny sizes, the same code path) and
prints its summary line, so a benchmark that breaks fails `make test` instead of rotting until the next `make bench`.

The keys each summary line must carry are the ones benchmarks/README.md and the scripts document; a smoke run's
figures measure nothing, so only their presence and form are checked (a number, not "n/a": a path that did not run).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted(p for p in (ROOT / "benchmarks").glob("*.py") if not p.name.startswith("_"))
# script -> (summary name, keys), as benchmarks/README.md documents each last line.
SUMMARIES = {
    "ingest.py": ("ingest", ["vs_naive", "vs_naive_postgres", "vs_duckdb_limit", "peak_rss_mb"]),
    "incremental.py": ("incremental", ["duckdb_ratio", "postgres_ratio"]),
    "rest_gapfill.py": ("rest_gapfill", ["requests", "weight", "rest_seconds", "archive_seconds", "rows",
                                         "waited_seconds", "peak_weight_1m"]),
    "live_refresh.py": ("live_refresh", ["raw_s", "marts_s", "features_s", "predictions_s", "symbols", "trades",
                                         "s_per_million_trades", "ms_per_symbol"]),
    "api.py": ("api", ["p95_ms", "rps", "vs_http_limit", "exchange_info_p95_ms"]),
    "simulate.py": ("simulate", ["symbols", "trades", "seconds", "vs_sequential", "trades_per_s"]),
    "dashboard.py": ("dashboard", ["symbols", "health_page_ms", "health_cold_ms", "symbols_page_ms",
                                   "browser_health_ms", "vs_unpaged"]),
    "scale.py": ("scale", ["symbols", "days", "partitions_per_asset", "defs_s", "tick_s", "ui_asset_page_s"]),
}
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def summary(output: str, name: str) -> dict[str, str]:
    """The `name: key=value ...` line's leading key=value pairs (the last such line of the output)."""
    lines = [line for line in output.splitlines() if line.startswith(f"{name}: ")]
    assert lines, f"no `{name}: ...` summary line in:\n{output[-3000:]}"
    pairs = {}
    for word in lines[-1].removeprefix(f"{name}: ").split():
        if "=" not in word:
            break  # api.py adds a parenthesised detail after its figures
        key, value = word.split("=", 1)
        pairs[key] = value
    return pairs


def test_summary_parses_a_documented_line_and_rejects_others():
    line = "refresh: raw_s=1.4 marts_s=4.2 predictions_s=5.7"
    assert summary(f"noise\n{line}\n", "refresh") == {"raw_s": "1.4", "marts_s": "4.2", "predictions_s": "5.7"}
    assert summary("api: p95_ms=3.0 rps=120 vs_http_limit=0.41 (warm klines p95_ms=2.0)", "api") == {
        "p95_ms": "3.0", "rps": "120", "vs_http_limit": "0.41"}
    with pytest.raises(AssertionError, match=re.escape("no `refresh: ...` summary line")):
        summary("Traceback (most recent call last):\nAssertionError", "refresh")


def test_every_benchmark_has_a_documented_summary():
    assert {p.name for p in BENCHMARKS} == set(SUMMARIES), "a benchmark without an expected summary line here"
    for script, (name, keys) in SUMMARIES.items():
        doc = ast.get_docstring(ast.parse((ROOT / "benchmarks" / script).read_text()))
        line = next((ln for ln in doc.splitlines() if f"{name}: " in ln), "")
        assert all(f"{key}=" in line for key in keys[:2]), f"{script}'s docstring does not document `{name}: ...`"


def _services(script: str, request) -> list[str]:
    """Arguments naming the servers this benchmark uses, from the suite's fixtures (fail under CI=true)."""
    if script in ("ingest.py", "incremental.py"):
        return ["--postgres-url", request.getfixturevalue("postgres_admin_url")]
    if script == "api.py":
        return ["--redis-url", request.getfixturevalue("redis_url")]
    return []


# The longest first (live_refresh starts `dagster dev`, scale.py a webserver and the daemon's code servers): xdist
# hands them out in this order.
SMOKE_ORDER = sorted((p.name for p in BENCHMARKS), key=lambda name: name not in ("live_refresh.py", "scale.py"))


@pytest.mark.parametrize("script", SMOKE_ORDER)
def test_benchmark_runs_in_smoke_mode(script, request, tmp_path):
    name, keys = SUMMARIES[script]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("BENCH_SMOKE", None)  # the flag below, not the environment, asks for the smoke run
    # Not traced by coverage (its subprocess patch passes COVERAGE_PROCESS_CONFIG down): a smoke run checks that
    # the benchmark still runs end to end; the code it drives is what the tests measure, and tracing the demo,
    # `dagster dev` and its runs here only cost `make test` a minute of CPU.
    env.pop("COVERAGE_PROCESS_CONFIG", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--smoke", *_services(script, request)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=420,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{script} --smoke exited {done.returncode}:\n{output[-4000:]}"
    figures = summary(done.stdout, name)
    assert list(figures) == keys, (figures, keys)
    not_numbers = {key: value for key, value in figures.items() if not NUMBER.fullmatch(value)}
    assert not not_numbers, f"{script} --smoke: figures that are not numbers: {not_numbers}\n{done.stdout[-2000:]}"
