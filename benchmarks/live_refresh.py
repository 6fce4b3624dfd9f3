"""Seconds a user waits, on the real path, from a new day landing in the mirror to raw, marts, features and
predictions holding it.

    .venv/bin/python benchmarks/live_refresh.py [--history 3] [--trades-per-day 20000] [--timeout 900]
    .venv/bin/python benchmarks/live_refresh.py --universe 200 --trades-per-day 2000000   # an exchange of 200

`--universe N`: a simulated exchange of N symbols (`binance-assets simulate --universe`: a power law of
volumes, `--trades-per-day` in all, listings and delistings), every symbol of it followed
(BINANCE_ASSETS_SYMBOLS='*'); without it, the two demo symbols with `--trades-per-day` each. The day's
predictions count as ready when the ml location's predictions of the new day cover every symbol of the day's
recorded universe that landed; at the end the warehouse is read and any such symbol without predictions fails
the benchmark (a stranded symbol is a failure, not a slow run). The summary adds `symbols=`, `trades=`,
`s_per_million_trades=` and `ms_per_symbol=` (predictions_s over the day's rows and symbols).

In a temporary folder: `binance-assets demo` builds a history (two symbols), then `dagster dev` starts
(webserver and daemon as separate processes, the local instance config `deploy/dagster/local.yaml`,
`workspace.yaml`, every sensor on its real interval). Once it is idle, one new day's three archives for
both symbols land in the mirror (zips first, CHECKSUMs last, as Binance and the archive client write
them) and the clock starts. Stage times come from the Dagster instance: the materialization events of
each stage's assets for the new day's partitions, and per run its creation, dequeue, RUN_START and
step events. Each stage's critical-path share is split into sensor wait (ready upstream -> run created),
run queue (created -> dequeued), process start (dequeued -> RUN_START) and compute (RUN_START -> the
stage's last materialization). If the landing sensor is not running by default (the design before
issue 9), its cursor is set to the mirror's present state and it is started, so only the new day counts.
Last line: `live_refresh: raw_s=.. marts_s=.. features_s=.. predictions_s=.. symbols=.. trades=..
s_per_million_trades=.. ms_per_symbol=..`.
`--smoke`: 1 day of history, 2,000 trades/day, idle after 3 s without a run, 300 s timeout: the whole path
(the demo, `dagster dev` and its sensors, both symbols landing) in about 70 s of CPU; measures nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from _smoke import parse_args
from dagster._core.events import DagsterEventType
from dagster._core.scheduler.instigation import InstigatorType
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SYMBOLS = ["BTCUSDT", "ETHUSDT"]
SIM_SEED = 7
START = dt.date(2025, 1, 1)
LANDING_SENSOR = "archive_landing_sensor"
STAGES: dict[str, list[dg.AssetKey]] = {
    "raw": [dg.AssetKey(["raw", t]) for t in ("spot_trades", "spot_agg_trades", "spot_klines_1m")],
    "marts": [dg.AssetKey(["marts", t]) for t in ("fct_bars_1m", "fct_symbol_daily")],
    "features": [dg.AssetKey(["features", "minute_features"])],
    "predictions": [dg.AssetKey(["ml", "predictions"])],
}
RUN_EVENTS = {
    DagsterEventType.RUN_DEQUEUED, DagsterEventType.RUN_STARTING, DagsterEventType.RUN_START,
    DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE, DagsterEventType.STEP_START,
    DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def partition_key(day: dt.date, symbol: str) -> str:
    return day.isoformat()  # the market assets' partitions are days (every symbol inside the run)


@dataclass
class RunTimes:
    run_id: str
    created: float
    dequeued: float | None
    started: float | None
    ended: float | None
    steps_s: float
    n_steps: int
    source: str

    @classmethod
    def read(cls, instance: dg.DagsterInstance, run_id: str) -> RunTimes:
        record = instance.get_run_record_by_id(run_id)
        assert record is not None
        first: dict[DagsterEventType, float] = {}
        step_start: dict[str, float] = {}
        steps_s = 0.0
        for event in instance.all_logs(run_id, of_type=RUN_EVENTS):
            kind = event.dagster_event.event_type
            first.setdefault(kind, event.timestamp)
            if kind is DagsterEventType.STEP_START:
                step_start[event.step_key] = event.timestamp
            elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                steps_s += event.timestamp - step_start.get(event.step_key, event.timestamp)
        tags = record.dagster_run.tags
        return cls(
            run_id,
            record.create_timestamp.timestamp(),
            first.get(DagsterEventType.RUN_DEQUEUED) or first.get(DagsterEventType.RUN_STARTING),
            first.get(DagsterEventType.RUN_START),
            first.get(DagsterEventType.RUN_SUCCESS) or first.get(DagsterEventType.RUN_FAILURE),
            steps_s,
            len(step_start),
            tags.get("binance/source") or tags.get("dagster/sensor_name") or tags.get("dagster/from_automation", ""),
        )


class DagsterDev:
    """`dagster dev` over workspace.yaml in its own process group, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.env, self.log = env, log
        self.proc = subprocess.Popen(
            [str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(self.port)],
            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_up(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dagster dev exited ({self.proc.returncode}); see {self.log}")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/server_info", timeout=5).read()
                return
            time.sleep(1)
        raise TimeoutError(f"dagster dev not up after {timeout:.0f} s; see {self.log}")

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "dagster"), *args, "-w", "workspace.yaml"], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, check=False)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def busy_runs(instance: dg.DagsterInstance) -> int:
    statuses = [*IN_PROGRESS_RUN_STATUSES, dg.DagsterRunStatus.QUEUED]
    return instance.get_runs_count(dg.RunsFilter(statuses=statuses))


def wait_idle(instance: dg.DagsterInstance, quiet_s: float, timeout: float) -> float:
    """Wait until no run is queued or in progress and no new run was created for `quiet_s` seconds."""
    began = time.monotonic()
    last_change, last_count = time.monotonic(), -1
    while time.monotonic() - began < timeout:
        count = instance.get_runs_count()
        if busy_runs(instance) or count != last_count:
            last_change, last_count = time.monotonic(), count
        elif time.monotonic() - last_change >= quiet_s:
            return time.monotonic() - began
        time.sleep(1)
    raise TimeoutError(f"dagster dev did not become idle within {timeout:.0f} s")


def start_landing_sensor_if_stopped(dev: DagsterDev, mirror: Path) -> str:
    """The design before issue 9 has the landing sensor stopped: start it with a cursor at the present."""
    from binance_assets.automation.landing import find_landed
    from binance_assets.automation.mirrors import LocalMirror

    listed = dev.cli("sensor", "list", "-l", "market_data")
    line = next((ln for ln in listed.stdout.splitlines() if LANDING_SENSOR in ln), "")
    if "RUNNING" in line.upper():
        return "running by default"
    _, cursor = find_landed(LocalMirror(mirror), None, SYMBOLS)
    for args in (("sensor", "cursor", LANDING_SENSOR, "--set", cursor), ("sensor", "start", LANDING_SENSOR)):
        done = dev.cli(*args, "-l", "market_data")
        if done.returncode:
            raise RuntimeError(f"dagster {' '.join(args[:3])} failed: {done.stderr[-2000:]}")
    return "stopped by default: started with its cursor at the present"


def land_day(mirror: Path, staging: Path, day: dt.date, trades_per_day: int, universe: int) -> tuple[set[str], int]:
    """Simulate the day elsewhere, then put its files in the mirror: every zip, then every CHECKSUM. Returns the
    symbols that landed and their trades."""
    from binance_assets.binance.sim_universe import make_universe
    from binance_assets.binance.simulator import simulate_mirror, simulate_universe_mirror

    if universe:
        exchange = make_universe(universe, start=START, seed=SIM_SEED, total_trades=trades_per_day)
        done = simulate_universe_mirror(staging, exchange, day, 1, signal=1.0)
        trades = done.trades
    else:
        simulate_mirror(staging, SYMBOLS, day, 1, trades_per_day=trades_per_day, signal=1.0)
        trades = trades_per_day * len(SYMBOLS)
    files = sorted(p.relative_to(staging) for p in staging.rglob("*.zip*") if p.is_file())
    landed = {p.parts[-2] if p.parts[-2] != "1m" else p.parts[-3] for p in files}
    for rel in sorted(files, key=lambda r: r.name.endswith(".CHECKSUM")):
        (mirror / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(staging / rel, mirror / rel)
    return landed, trades


def ready_times(instance: dg.DagsterInstance, day: dt.date) -> dict[str, dict[str, tuple[float, str]]]:
    """stage -> symbol -> (time, run id) of the stage's last materialization for (day, symbol), once all are in."""
    out: dict[str, dict[str, tuple[float, str]]] = {}
    for stage, keys in STAGES.items():
        for symbol in SYMBOLS:
            latest: list[tuple[float, str]] = []
            for key in keys:
                records = instance.fetch_materializations(
                    dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition_key(day, symbol)]), limit=1
                ).records
                if not records:
                    break
                latest.append((records[0].timestamp, records[0].run_id))
            else:
                out.setdefault(stage, {})[symbol] = max(latest)
    return out


def symbols_without_predictions(warehouse_path: Path, day: dt.date, expected: set[str]) -> list[str]:
    """The expected symbols of the day with no row in ml.predictions (read once the runs are over: DuckDB has one
    writer)."""
    import duckdb

    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        scored = {row[0] for row in con.execute(
            "select distinct symbol from ml.predictions where trade_date = ?", [day]).fetchall()}
    return sorted(expected - scored)


def recorded_universe(warehouse_path: Path, day: dt.date) -> set[str] | None:
    """The day's symbols in raw.symbol_universe (None when none is recorded: the allow-list is the universe)."""
    import duckdb

    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        rows = con.execute("select symbol from raw.symbol_universe where first_day <= ? and "
                           "(last_day is null or last_day >= ?)", [day, day]).fetchall()
    return {r[0] for r in rows} or None


def predictions_cover(instance: dg.DagsterInstance, day: dt.date, landed_at: float, n_symbols: int) -> float | None:
    """When the new day's predictions covered `n_symbols` symbols (a materialization after the landing), or None."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=STAGES["predictions"][0], asset_partitions=[day.isoformat()]), limit=5
    ).records
    for record in records:
        metadata = record.asset_materialization.metadata if record.asset_materialization else {}
        covered = getattr(metadata.get("symbols"), "value", 0) or 0
        if record.timestamp > landed_at and covered >= n_symbols:
            return record.timestamp
    return None


def critical_path(instance: dg.DagsterInstance, ready: dict, landed_at: float) -> list[tuple]:
    """Per stage, on the symbol that finished last: (stage, ready_s, sensor, queue, start, compute, run)."""
    symbol = max(SYMBOLS, key=lambda s: ready["predictions"][s][0])
    rows, previous, previous_run = [], landed_at, None
    for stage in STAGES:
        at, run_id = ready[stage][symbol]
        if run_id == previous_run:  # built in the same run as the stage before: compute only
            rows.append((stage, at - landed_at, 0.0, 0.0, 0.0, at - previous, run_id))
        else:
            run = RunTimes.read(instance, run_id)
            dequeued = run.dequeued or run.created
            started = run.started or dequeued
            rows.append((stage, at - landed_at, max(run.created - previous, 0.0), dequeued - run.created,
                         started - dequeued, at - started, run_id))
        previous, previous_run = at, run_id
    return rows


def promote_refused_models(demo: subprocess.CompletedProcess, env: dict, registry: Path, log: Path) -> None:
    """A simulated universe's days are mostly thin symbols whose next minute is flat: its models may not beat
    their baselines by the gate's margin, so nothing is promoted and the demo fails at its predictions. This
    benchmark measures the path, not the models: then each model's latest version is promoted by hand, as an
    operator would (`binance-assets models promote`, the reason recorded), and said. Any other failure stops it."""
    from binance_assets.model_registry.stores import LocalModelRegistry

    models = LocalModelRegistry(registry)
    versions = {name: models.list_versions(name) for name in models.model_names()}
    refused = {name: cards[-1].version for name, cards in versions.items() if cards and models.champion(name) is None}
    if not refused or "predictions: FAILED" not in log.read_text():
        raise subprocess.CalledProcessError(demo.returncode, demo.args)
    for name, version in refused.items():
        subprocess.run([str(BIN / "binance-assets"), "models", "promote", name, version, "--reason",
                        "benchmarks/live_refresh.py: the path is measured, not the model"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    print(f"  the gate promoted no model on this history; promoted by hand: {refused}", flush=True)


def main() -> None:
    # Started as a shell's background job (`make bench-live &`), this process ignores SIGINT and its children would
    # too: `dagster dev` could then be stopped neither by SIGINT nor by SIGTERM (it gives SIGTERM SIGINT's handler).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=3, help="days built by the demo before the new one")
    parser.add_argument("--trades-per-day", type=int, default=20_000)
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for predictions")
    parser.add_argument("--idle-seconds", type=float, default=40,
                        help="seconds without a new run after which `dagster dev` counts as idle, before the landing")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, instance)")
    parser.add_argument("--universe", type=int, default=0,
                        help="an exchange of N simulated symbols (--trades-per-day in all); 0: the two demo symbols")
    args = parse_args(parser, history=1, trades_per_day=2_000, idle_seconds=3, timeout=300)
    new_day = START + dt.timedelta(days=args.history)

    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    home, data = tmp / "dagster_home", tmp / "data"
    home.mkdir()
    shutil.copyfile(ROOT / "deploy" / "dagster" / "local.yaml", home / "dagster.yaml")
    env = {
        **os.environ, "DAGSTER_HOME": str(home), "BINANCE_ASSETS_ENV": "local", "BINANCE_ASSETS_DATA_DIR": str(data),
        "BINANCE_ASSETS_SYMBOLS": "*" if args.universe else ",".join(SYMBOLS),
        "BINANCE_ASSETS_START_DATE": START.isoformat(), "BINANCE_ASSETS_SIM_SEED": str(SIM_SEED),
        "BINANCE_ASSETS_SIM_UNIVERSE": str(args.universe),
        "BINANCE_ASSETS_SIM_UNIVERSE_TRADES_PER_DAY": str(args.trades_per_day),
        "BINANCE_ASSETS_SIM_TRADES_PER_DAY": str(args.trades_per_day), "PATH": f"{BIN}:{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    for name in ("BINANCE_ASSETS_DUCKDB_PATH", "BINANCE_ASSETS_ARCHIVE_BASE_URL", "BINANCE_ASSETS_MODEL_REGISTRY_URL"):
        env.pop(name, None)
    dev = None
    try:
        what = (f"a {args.universe}-symbol universe, {args.trades_per_day:,} trades/day in all" if args.universe
                else f"{len(SYMBOLS)} symbols, {args.trades_per_day:,} trades/day each")
        print(f"history: demo, {args.history} day(s) of {what}", flush=True)
        began = time.perf_counter()
        demo = subprocess.run([str(BIN / "binance-assets"), "demo", "--days", str(args.history)], cwd=ROOT, env=env,
                              stdout=(tmp / "demo.log").open("w"), stderr=subprocess.STDOUT)
        if demo.returncode != 0:
            promote_refused_models(demo, env, data / "models", tmp / "demo.log")
        print(f"  built in {time.perf_counter() - began:.0f} s; starting dagster dev", flush=True)
        universe = recorded_universe(data / "warehouse.duckdb", new_day)
        dev = DagsterDev(env, tmp / "dev.log")
        dev.wait_up()
        with dg.DagsterInstance.from_config(str(home)) as instance:
            runs_before = instance.get_runs_count()
            landing = start_landing_sensor_if_stopped(dev, data / "mirror")
            idle_s = wait_idle(instance, quiet_s=args.idle_seconds, timeout=1800)
            spurious = instance.get_runs_count() - runs_before
            print(f"  landing sensor {landing}; idle after {idle_s:.0f} s; runs started meanwhile: {spurious}",
                  flush=True)

            landed, trades = land_day(data / "mirror", tmp / "staging", new_day, args.trades_per_day, args.universe)
            landed_at = time.time()
            expected = landed & universe if universe is not None else landed & set(SYMBOLS)
            print(f"a new day landed: {new_day}, {len(landed)} symbols x 3 archives, {trades:,} trades "
                  f"({len(expected)} in the recorded universe)", flush=True)
            runs_at_landing = instance.get_runs_count()
            ready: dict = {}
            while time.time() - landed_at < args.timeout:
                if predictions_cover(instance, new_day, landed_at, len(expected)) is not None:
                    ready = ready_times(instance, new_day)
                    break
                time.sleep(0.5)
            else:
                print(f"TIMEOUT: predictions not there after {args.timeout:.0f} s; what was ready is reported")
            with contextlib.suppress(TimeoutError):  # let the new day's runs finish (their checks) before stopping
                wait_idle(instance, quiet_s=3, timeout=120)
            new_runs = [r.run_id for r in instance.get_runs(limit=instance.get_runs_count() - runs_at_landing)]
            report(instance, ready, landed_at, new_runs, n_symbols=len(expected), trades=trades)
            lacking = symbols_without_predictions(data / "warehouse.duckdb", new_day, expected)
            if lacking:  # a stranded symbol is a failure, not a slow run
                raise SystemExit(f"FAILED: no predictions for {new_day} of {len(lacking)} symbol(s): {lacking[:20]}")
    finally:
        if dev is not None:
            dev.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def report(instance: dg.DagsterInstance, ready: dict, landed_at: float, run_ids: list[str], *, n_symbols: int,
           trades: int) -> None:
    print(f"\nruns after landing: {len(run_ids)}")
    print(f"{'run':<9} {'source':<28} {'created+':>8} {'queue_s':>8} {'start_s':>8} {'run_s':>8} {'steps':>5} "
          f"{'steps_s':>8}")
    for run in sorted((RunTimes.read(instance, r) for r in run_ids), key=lambda r: r.created):
        dequeued = run.dequeued or run.created
        started, ended = run.started or dequeued, run.ended or time.time()
        print(f"{run.run_id[:8]:<9} {run.source[:28]:<28} {run.created - landed_at:>8.1f} "
              f"{dequeued - run.created:>8.1f} {started - dequeued:>8.1f} {ended - started:>8.1f} "
              f"{run.n_steps:>5} {run.steps_s:>8.1f}")
    complete = [stage for stage in STAGES if len(ready.get(stage, {})) == len(SYMBOLS)]
    if complete == list(STAGES):
        print(f"\n{'stage':<12} {'ready_s':>8} {'sensor_s':>9} {'queue_s':>8} {'start_s':>8} {'compute_s':>10}  run")
        rows = critical_path(instance, ready, landed_at)
        for stage, at, sensor, queue, start, compute, run_id in rows:
            print(f"{stage:<12} {at:>8.1f} {sensor:>9.1f} {queue:>8.1f} {start:>8.1f} {compute:>10.1f}  {run_id[:8]}")
        totals = [sum(row[i] for row in rows) for i in (2, 3, 4, 5)]
        print(f"{'share':<12} {'':>8} {totals[0]:>9.1f} {totals[1]:>8.1f} {totals[2]:>8.1f} {totals[3]:>10.1f}")
    tick_table(instance, landed_at)
    at = {s: f"{max(t for t, _ in ready[s].values()) - landed_at:.1f}" if s in complete else "n/a" for s in STAGES}
    per = {"s_per_million_trades": "n/a", "ms_per_symbol": "n/a"}
    if at["predictions"] != "n/a":
        seconds = float(at["predictions"])
        per = {"s_per_million_trades": f"{seconds / max(trades, 1) * 1e6:.1f}",
               "ms_per_symbol": f"{seconds / max(n_symbols, 1) * 1000:.0f}"}
    print("live_refresh: " + " ".join(f"{stage}_s={at[stage]}" for stage in STAGES)
          + f" symbols={n_symbols} trades={trades} " + " ".join(f"{k}={v}" for k, v in per.items()), flush=True)


def tick_table(instance: dg.DagsterInstance, landed_at: float) -> None:
    """Per sensor: its ticks after landing (count, mean and longest evaluation, runs requested)."""
    print(f"\n{'sensor':<30} {'ticks':>5} {'mean_s':>7} {'max_s':>7} {'runs':>5}  ticks with runs: start+took s")
    for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
        ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, after=landed_at)
        if not ticks:
            continue
        took = [t.end_timestamp - t.timestamp for t in ticks if t.end_timestamp]
        with_runs = sorted(f"{t.timestamp - landed_at:.0f}+{t.end_timestamp - t.timestamp:.1f}"
                           for t in ticks if t.run_ids and t.end_timestamp)
        print(f"{state.instigator_name[:30]:<30} {len(ticks):>5} {sum(took) / max(len(took), 1):>7.1f} "
              f"{max(took, default=0):>7.1f} {sum(len(t.run_ids) for t in ticks):>5}  {' '.join(with_runs[:6])}")


if __name__ == "__main__":
    main()
