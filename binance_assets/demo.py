"""`binance-assets demo`: simulate a few days, materialize the whole graph locally, print what was built."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import dagster as dg

from binance_assets.binance.simulator import simulate_mirror
from binance_assets.ingestion.partitions import DaySymbol
from binance_assets.instance import local_instance
from binance_assets.settings import Settings
from binance_assets.warehouse import RAW_TABLES

# The demo prints its own progress; Dagster's console logger only speaks up for warnings.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def run_demo(settings: Settings, start: dt.date, days: int, echo: Callable[[str], None] = print) -> bool:
    from binance_assets.definitions import MAIN_JOB, defs  # loads the code location as the UI does

    if start < settings.start_date:
        raise ValueError(f"start {start} is before the first partition {settings.start_date}")
    mirror = settings.mirror_dir
    echo(f"simulating {days} day(s) x {len(settings.symbols)} symbol(s), "
         f"{settings.sim_trades_per_day:,} trades/day, into {mirror}")
    simulate_mirror(mirror, list(settings.symbols), start, days, seed=settings.sim_seed,
                    trades_per_day=settings.sim_trades_per_day)

    instance = local_instance()
    job = defs.resolve_job_def(MAIN_JOB)
    parts = [DaySymbol(start + dt.timedelta(days=i), s) for i in range(days) for s in settings.symbols]
    failures = 0
    for n, part in enumerate(parts, 1):
        began = time.perf_counter()
        result = job.execute_in_process(
            partition_key=part.key(), instance=instance, raise_on_error=False, run_config=QUIET_CONSOLE
        )
        failed_checks = _failed_checks(result)
        status = "ok" if result.success and not failed_checks else "FAILED"
        failures += status != "ok"
        extra = f" failed checks: {', '.join(failed_checks)}" if failed_checks else ""
        echo(f"[{n}/{len(parts)}] {part.day} {part.symbol}: {status} in {time.perf_counter() - began:.1f}s{extra}")

    _print_summary(defs, parts, echo)
    echo(f"\nDagster runs are in {instance.root_directory}. Browse the lineage with: make dev "
         "(then open http://127.0.0.1:3000)")
    return failures == 0


def _failed_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    failed = []
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return failed


def _print_summary(defs: dg.Definitions, parts: list[DaySymbol], echo: Callable[[str], None]) -> None:
    warehouse = defs.resources["warehouse"].get()
    echo(f"\n{'table':<22}{'symbol':<10}{'day':<12}{'rows':>10}")
    for table in RAW_TABLES:
        for part in parts:
            rows = warehouse.partition_row_count(table, part.symbol, part.day)
            echo(f"raw.{table:<18}{part.symbol:<10}{part.day.isoformat():<12}{rows:>10,}")
