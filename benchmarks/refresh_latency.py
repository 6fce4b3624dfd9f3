"""Seconds from a new day's files landing in the mirror to raw, marts and predictions being written.

    .venv/bin/python benchmarks/refresh_latency.py [--trades-per-day 200000] [--history 3]

On the embedded default (DuckDB, local Dagster instance): a history of days is materialized and a
champion trained; the daemon's automation has been ticking. Then a new day is simulated into the
mirror and the clock starts. The landing sensor and the automation conditions of both code locations
are ticked back to back in process (what dagster-daemon does, minus its polling intervals, which add
up to 30 s per hop in production and are not the platform's work). Each stage's time is read from the
instance: the last materialization of its assets for the new partition, whichever run wrote it (a landing
run of a complete day also builds the marts and features downstream of its raw assets). Target:
predictions under 60 s. Last line: `refresh: raw_s=<a> marts_s=<b> predictions_s=<c>`.
`--smoke`: 2 days of history, 2,000 trades/day (seconds; checks the path, measures nothing).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import tempfile
import time
import warnings
from pathlib import Path

import dagster as dg
from _smoke import parse_args

from binance_assets.automation.local_daemon import QUIET, LocalDaemon
from binance_assets.automation.sensor_support import LANDING_SENSOR
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.definitions import MAIN_JOB, build_defs
from binance_assets.lib.partitions import day_key
from binance_assets.ml.definitions import TRAIN_JOB, build_ml_defs
from binance_assets.settings import Environment, Settings

SYMBOL = "BTCUSDT"
START = dt.date(2025, 1, 1)
STAGES: dict[str, list[dg.AssetKey]] = {
    "raw": [dg.AssetKey(["raw", t]) for t in ("spot_trades", "spot_agg_trades", "spot_klines_1m")],
    "marts": [dg.AssetKey(["marts", t]) for t in ("fct_bars_1m", "fct_symbol_daily")],
    "predictions": [dg.AssetKey(["ml", "predictions"])],
}
warnings.filterwarnings("ignore")


def ready_at(instance: dg.DagsterInstance, keys: list[dg.AssetKey], partition: str) -> float | None:
    """When the last of `keys` was materialized for `partition` (epoch seconds), None while one is missing."""
    latest = []
    for key in keys:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1).records
        if not records:
            return None
        latest.append(records[0].timestamp)
    return max(latest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades-per-day", type=int, default=200_000)
    parser.add_argument("--history", type=int, default=3)
    args = parse_args(parser, trades_per_day=2_000, history=2)
    new_day = START + dt.timedelta(days=args.history)
    partition = day_key(new_day)

    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp, dg.instance_for_test() as instance:
        root = Path(tmp)
        mirror = root / "mirror"
        settings = Settings(env=Environment.LOCAL, data_dir=root / "data", duckdb_path=root / "warehouse.duckdb",
                            archive_base_url=str(mirror), symbols=[SYMBOL], start_date=START,
                            model_registry_url=str(root / "models"))
        print(f"history: {args.history} day(s) of {SYMBOL}, ~{args.trades_per_day:,} trades/day ...", flush=True)
        simulate_mirror(mirror, [SYMBOL], START, args.history, trades_per_day=args.trades_per_day, signal=1.0)
        market, ml = LocalDaemon(build_defs(settings), instance), LocalDaemon(build_ml_defs(settings), instance)
        main_job = market.defs.resolve_job_def(MAIN_JOB)
        for offset in range(args.history):
            with contextlib.redirect_stdout(io.StringIO()):
                assert main_job.execute_in_process(
                    instance=instance, partition_key=day_key(START + dt.timedelta(days=offset)),
                    run_config=QUIET,
                ).success
        config = {"train_days": args.history, "n_splits": 3}
        assert ml.defs.resolve_job_def(TRAIN_JOB).execute_in_process(
            instance=instance,
            run_config={**QUIET, "ops": {f"models__{m}": {"config": config}
                                for m in ("price_direction_classifier", "forward_return_regressor")}},
        ).success
        for daemon in (market, ml):
            daemon.tick_automation()
        _, cursor = market.tick_sensor(LANDING_SENSOR, None)
        warehouse = market.defs.resources["warehouse"].get()

        print("a new day lands ...", flush=True)
        simulate_mirror(mirror, [SYMBOL], new_day, 1, trades_per_day=args.trades_per_day, signal=1.0)
        landed = time.time()
        requests, cursor = market.tick_sensor(LANDING_SENSOR, cursor)
        assert requests, "the landing sensor requested nothing for the new day"
        assert all(run.success for run in market.run_requests(requests))
        for _ in range(8):
            if ready_at(instance, STAGES["predictions"], partition) is not None:
                break
            for daemon in (market, ml):
                assert all(run.success for run in daemon.tick_automation())
        at = {stage: ready_at(instance, keys, partition) for stage, keys in STAGES.items()}
        missing = [stage for stage, when in at.items() if when is None]
        assert not missing, f"not materialized for {partition} after 8 automation ticks: {missing}"
        raw_s, marts_s, predictions_s = (at[stage] - landed for stage in STAGES)
        rows = warehouse.read_table("ml.predictions", symbols=[SYMBOL], start=new_day, end=new_day)
        assert len(rows) > 0, "ml.predictions is materialized but holds no row of the new day"

    print(f"\n{'stage':<34}{'seconds after landing':>22}")
    for stage, seconds in (("(a) raw partition materialized", raw_s), ("(b) marts updated", marts_s),
                           ("(c) predictions written", predictions_s)):
        print(f"{stage:<34}{seconds:>22.1f}")
    print(f"predictions under 60 s: {'met' if predictions_s < 60 else 'MISSED'} ({len(rows):,} rows)")
    print(f"refresh: raw_s={raw_s:.1f} marts_s={marts_s:.1f} predictions_s={predictions_s:.1f}")


if __name__ == "__main__":
    main()
