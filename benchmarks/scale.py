"""Does the Dagster side hold at exchange scale? Partitions, definitions, automation ticks and the UI for 2, 200
and 2,000 symbols since the archive's first day (2017-08-17).

    .venv/bin/python benchmarks/scale.py [--symbols 2,200,2000] [--start 2017-08-17] [--history 30] [--bound 180]

Per symbol count, in a temporary folder: BINANCE_ASSETS_SYMBOLS (BTCUSDT, ETHUSDT, then synthetic S0001USDT...),
BINANCE_ASSETS_START_DATE, a DAGSTER_HOME with deploy/dagster/local.yaml. Whatever the definitions are, the
figures are read off them: the partitions definition of the raw assets (any daily time dimension, alone or
beside other dimensions), the sensors the asset daemon ticks. Each measurement runs in a fresh process:
- partitions per asset: the raw assets' partition count (Dagster's guidance: at most 100,000);
- definitions: per code location of workspace.yaml, import its module and build what a code server serves
  (the repository and its snapshot), timed from the process's start, best of `--repeat`;
- history (not timed): a month (`--history` days) of materializations of every day-partitioned asset of both
  locations, every key of each day (benchmarks/_scale_history.py), the newest day left out;
- UI: dagster-webserver on that instance, a raw asset's page and its partition view in Chromium
  (benchmarks/_scale_ui.py);
- automation ticks: the asset daemon's iteration, as `dagster-daemon` runs it (benchmarks/_scale_daemon.py):
  tick 1 is the first over the month of history (no cursor yet); then the newest day lands in raw (every
  key, blocking checks passed) and tick 2 evaluates it and submits the runs it requests; both ticks in one
  daemon process, as the daemon runs (its code servers started once). Killed at the bound: both are `>bound`.
Every timed step is bounded (`--bound` seconds): past it, the process is killed and the figure is `>bound`.
Prints a table (figures beside the targets of issue 21) and one line per symbol count, the largest last:
`scale: symbols=.. days=.. partitions_per_asset=.. defs_s=.. tick_s=.. ui_asset_page_s=..` (defs_s: the slower
location; tick_s: the slower tick, both locations' sensors added; ui_asset_page_s: the slower of the two views).
`--smoke`: 2 symbols since 20 days ago, 3 days of history, one load per location: the whole path (3.5 min at load
9 here); measures nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from _measure import Stopwatch, WorkerFailed, WorkerTimedOut, markdown_table, run_worker, write_result
from _smoke import parse_args

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).resolve()
WORKSPACE = ROOT / "workspace.yaml"
TARGETS = {"partitions": 25_000, "defs_s": 10.0, "tick_s": 2.0, "ui_s": 3.0}
CLEARED = ("BINANCE_ASSETS_DUCKDB_PATH", "BINANCE_ASSETS_ARCHIVE_BASE_URL", "BINANCE_ASSETS_MODEL_REGISTRY_URL")


def symbols(count: int) -> list[str]:
    return ["BTCUSDT", "ETHUSDT", *(f"S{i:04d}USDT" for i in range(1, count - 1))][:count]


def locations(workspace: Path) -> list[dict[str, str]]:
    """The workspace file's python modules: [{module_name, attribute, location_name}]."""
    import yaml

    entries = yaml.safe_load(workspace.read_text())["load_from"]
    if not all("python_module" in e for e in entries):
        raise ValueError(f"{workspace}: scale.py loads `python_module` code locations only")
    return [e["python_module"] for e in entries]


@contextlib.contextmanager
def environment(values: dict[str, str]):
    saved = dict(os.environ)
    for name in CLEARED:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def measure(worker: str, spec: dict[str, Any], timeout: float) -> dict[str, Any] | None:
    """A worker's result, or None when it was killed at the bound."""
    try:
        return run_worker(SCRIPT, worker, spec, timeout=timeout)
    except WorkerTimedOut:
        return None


# --- workers: a fresh interpreter each; scale.py imports only the standard library at its top --------------


def worker_defs(spec: dict[str, Any], result: str) -> None:
    with Stopwatch() as watch:
        import importlib

        from dagster._core.remote_representation.external_data import RepositorySnap
        from dagster_shared.serdes import serialize_value

        defs = getattr(importlib.import_module(spec["module_name"]), spec["attribute"])
        snapshot = serialize_value(RepositorySnap.from_def(defs.get_repository_def()))
    write_result(result, rows=len(snapshot), seconds=watch.seconds)


def worker_history(spec: dict[str, Any], result: str) -> None:
    import importlib

    import _scale_history as h
    import dagster as dg

    graphs = [getattr(importlib.import_module(loc["module_name"]), loc["attribute"]).resolve_asset_graph()
              for loc in spec["locations"]]
    owner = next((g for g in graphs if h.raw_keys(g)), None)
    if owner is None:
        raise RuntimeError("no day-partitioned asset with a key under `raw` in the workspace's code locations")
    raw = h.raw_keys(owner)
    asset = next((k for k in raw if k.path[-1] == "spot_trades"), raw[0])
    node = owner.get(asset)
    instance = dg.DagsterInstance.get()
    with Stopwatch() as watch:
        events = sum(h.record_days(instance, g, h.day_partitioned(g), spec["history"], skip_last=1) for g in graphs)
    per_day = len(h.keys_on_day(node.partitions_def, h.last_days(node.partitions_def, 1)[0], instance))
    stored = len(instance.get_materialized_partitions(asset))
    if stored != spec["history"] * per_day:
        raise RuntimeError(f"{asset.to_user_string()}: {stored} partitions materialized in the instance, "
                           f"{spec['history']} days x {per_day} recorded")
    write_result(result, rows=events, seconds=watch.seconds, asset=asset.path, materialized=spec["history"] * per_day,
                 partitions_per_asset=max(h.partitions_per_asset(owner, k) for k in raw),
                 days=h.time_dimension(node.partitions_def)[1].get_num_partitions())


def _worker(name: str):
    if name == "ticks":
        from _scale_daemon import worker_ticks

        return worker_ticks
    if name == "ui":
        from _scale_ui import worker_ui

        return worker_ui
    return {"defs": worker_defs, "history": worker_history}[name]


# --- the benchmark -------------------------------------------------------------------------------------------


def run_case(count: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    home = tmp / f"home-{count}"
    home.mkdir()
    shutil.copyfile(ROOT / "deploy" / "dagster" / "local.yaml", home / "dagster.yaml")
    env = {"DAGSTER_HOME": str(home), "BINANCE_ASSETS_ENV": "local", "BINANCE_ASSETS_DATA_DIR": str(tmp / "data"),
           "BINANCE_ASSETS_SYMBOLS": ",".join(symbols(count)), "BINANCE_ASSETS_START_DATE": args.start.isoformat(),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out: dict[str, Any] = {"symbols": count, "load_start": os.getloadavg()[0]}
    with environment(env):
        out["defs"], out["snapshot_mb"] = {}, {}
        for loc in locations(args.workspace):
            runs = [measure("defs", loc, args.bound) for _ in range(args.repeat)]
            done = [r for r in runs if r is not None]
            out["defs"][loc["location_name"]] = min(r["seconds"] for r in done) if len(done) == len(runs) else None
            out["snapshot_mb"][loc["location_name"]] = done[0]["rows"] / 1e6 if done else math.nan
        print(f"{count} symbols: definitions {out['defs']}", flush=True)
        history = run_worker(SCRIPT, "history", {"locations": locations(args.workspace), "history": args.history},
                             timeout=args.history_timeout)
        out.update({k: history[k] for k in ("days", "partitions_per_asset", "asset", "materialized")})
        out["history_events"], out["history_s"] = history["rows"], history["seconds"]
        print(f"{count} symbols: {history['rows']:,} events of history in {history['seconds']:.0f} s", flush=True)
        if not args.skip_ui:
            ui = measure("ui", {"workspace": str(args.workspace), "asset": history["asset"], "bound": args.bound,
                                "location": locations(args.workspace)[0]["location_name"],
                                "materialized": history["materialized"], "log": str(tmp / f"web-{count}.log")},
                         2 * args.bound + 60)
            out["ui"] = {"asset_page": ui and ui["asset_page"], "partitions": ui and ui["partitions"]}
            print(f"{count} symbols: UI {out['ui']}", flush=True)
        ticks = measure("ticks", {"workspace": str(args.workspace)}, 2 * args.bound + 30)
        out["ticks"] = [t["sensors"] for t in ticks["ticks"]] if ticks else [None, None]
        out["tick_rss_mb"] = [t["peak_rss_mb"] for t in ticks["ticks"]] if ticks else [None, None]
        for i, tick in enumerate(out["ticks"], 1):
            print(f"{count} symbols: tick {'2 (new day)' if i == 2 else '1 (month)'} {tick}", flush=True)
    out["load_end"] = os.getloadavg()[0]
    return out


def seconds(value: float | None, bound: float) -> str:
    """A figure: `>bound` for a step killed at the bound (None), `n/a` for one not run (NaN)."""
    if value is None:
        return f">{bound:g}"
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def tick_total(sensors: dict | None) -> float | None:
    return None if sensors is None else sum(s["seconds"] for s in sensors.values())


def figures(case: dict[str, Any]) -> dict[str, float | None]:
    defs = list(case["defs"].values())
    ticks = [tick_total(t) for t in case["ticks"]] + [math.nan] * (2 - len(case["ticks"]))  # tick 2 after tick 1
    ui = case.get("ui", {})
    return {
        "defs_s": None if None in defs else max(defs),
        "tick_1": ticks[0], "tick_2": ticks[1],
        "tick_s": None if None in ticks else max(ticks),  # a tick killed at the bound: >bound
        "asset_page": ui.get("asset_page", math.nan), "partitions": ui.get("partitions", math.nan),
        "ui_s": None if None in ui.values() else max(ui.values(), default=math.nan),
    }


def report(cases: list[dict[str, Any]], bound: float) -> None:
    f = [figures(c) for c in cases]
    s = {key: [seconds(x[key], bound) for x in f] for key in f[0]}
    runs = [" / ".join(str(sum(v["runs"] for v in t.values())) if t else "-" for t in c["ticks"]) for c in cases]
    rows = [
        ["partitions per asset", f"<= {TARGETS['partitions']:,}", *(f"{c['partitions_per_asset']:,}" for c in cases)],
        ["days", "", *(f"{c['days']:,}" for c in cases)],
        *[[f"definitions s, {loc}", "", *(seconds(c["defs"][loc], bound) for c in cases)] for loc in cases[0]["defs"]],
        ["definitions s (slower location)", f"< {TARGETS['defs_s']:g}", *s["defs_s"]],
        ["repository snapshot MB (all locations)", "", *(f"{sum(c['snapshot_mb'].values()):.2f}" for c in cases)],
        ["history events (month, not timed)", "", *(f"{c['history_events']:,} in {c['history_s']:,.0f} s"
                                                   for c in cases)],
        ["tick 1 s: first, month of history", f"< {TARGETS['tick_s']:g}", *s["tick_1"]],
        ["tick 2 s: a new day landed", f"< {TARGETS['tick_s']:g}", *s["tick_2"]],
        ["runs requested (tick 1 / tick 2)", "", *runs],
        ["daemon peak RSS MB (tick 1 / tick 2)", "", *(" / ".join("-" if m is None else f"{m:,.0f}"
                                                                 for m in c["tick_rss_mb"]) for c in cases)],
        ["UI asset page s", f"< {TARGETS['ui_s']:g}", *s["asset_page"]],
        ["UI partition view s", f"< {TARGETS['ui_s']:g}", *s["partitions"]],
        ["load average 1 min (start / end)", "", *(f"{c['load_start']:.1f} / {c['load_end']:.1f}" for c in cases)],
    ]
    print()
    print(markdown_table(["measure", "target", *(f"{c['symbols']:,} symbols" for c in cases)], rows))
    sensors = [[name, f"{i} ({'new day' if i == 2 else 'month'})", f"{c['symbols']:,}", f"{v['seconds']:.2f}",
                "n/a" if v["evaluation_s"] is None else f"{v['evaluation_s']:.2f}", str(v["runs"])]
               for c in cases for i, ticks in enumerate(c["ticks"], 1) if ticks for name, v in ticks.items()]
    if sensors:
        print()
        print(markdown_table(["sensor", "tick", "symbols", "tick s", "evaluating s", "runs requested"], sensors))
    print()
    for c, x in zip(cases, f, strict=True):
        print(f"scale: symbols={c['symbols']} days={c['days']} partitions_per_asset={c['partitions_per_asset']} "
              f"defs_s={seconds(x['defs_s'], bound)} tick_s={seconds(x['tick_s'], bound)} "
              f"ui_asset_page_s={seconds(x['ui_s'], bound)}")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=lambda s: [int(n) for n in s.split(",")], default=[2, 200, 2000])
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2017, 8, 17))
    parser.add_argument("--history", type=int, default=30, help="days of history before the newest day")
    parser.add_argument("--bound", type=float, default=180, help="seconds a timed step may take")
    parser.add_argument("--repeat", type=int, default=3, help="definitions: best of this many loads per location")
    parser.add_argument("--history-timeout", type=float, default=7200, help="seconds to record the history")
    parser.add_argument("--workspace", type=Path, default=WORKSPACE, help="the code locations (python modules)")
    parser.add_argument("--skip-ui", action="store_true", help="no webserver, no Chromium")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (instances, logs)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    return parse_args(parser, argv, symbols=[2], start=dt.date.today() - dt.timedelta(days=20), history=3, bound=120,
                      repeat=1)


def main(argv: list[str] | None = None) -> int:
    # Started as a shell's background job (`make bench-live &`), this process ignores SIGINT and its children would
    # too: the webserver could then be stopped neither by SIGINT nor by SIGTERM (it gives SIGTERM SIGINT's handler).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args = parse(argv)
    if args.worker:
        _worker(args.worker)(json.loads(args.spec), args.result)
        return 0
    print(f"scale: {args.symbols} symbols since {args.start}, {args.history} days of history, bound {args.bound:g} s; "
          f"load {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores, shared machine)", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        cases = [run_case(count, args, tmp) for count in args.symbols]
    except WorkerFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report(cases, args.bound)
    return 0


if __name__ == "__main__":
    sys.exit(main())
