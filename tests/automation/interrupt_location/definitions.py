"""A tiny code location for the interrupted-`dagster dev` test: three runs of one slow asset in the `warehouse`
pool. The first attempt of partition "a" blocks until its process is killed; every other attempt is quick.
Loaded as a module (`dagster dev -m interrupt_location.definitions`), and its runs start from the code
server's fork server as the project's locations' do (binance_assets/run_workers.py)."""

import os
import time
from pathlib import Path

import dagster as dg

from binance_assets.run_workers import warm_run_workers

STATE = Path(os.environ["INTERRUPT_TEST_STATE"])
PARTITIONS = dg.StaticPartitionsDefinition(["a", "b", "c"])


@dg.asset(partitions_def=PARTITIONS, pool="warehouse")
def slow(context: dg.AssetExecutionContext) -> None:
    marker = STATE / f"{context.partition_key}.pid"
    first_attempt = not marker.exists()
    marker.write_text(str(os.getpid()))
    if first_attempt and context.partition_key == "a":
        time.sleep(600)


slow_job = dg.define_asset_job("slow_job", selection=[slow], partitions_def=PARTITIONS)


@dg.sensor(job=slow_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def three_runs():
    for key in ("a", "b", "c"):
        yield dg.RunRequest(run_key=key, partition_key=key)


warm_run_workers(__name__)
defs = dg.Definitions(assets=[slow], jobs=[slow_job], sensors=[three_runs])
