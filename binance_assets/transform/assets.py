"""The dbt models as day-partitioned Dagster assets: each run rebuilds exactly its days (every symbol of
them, or the symbols its run tag `binance/symbols` names) in one dbt invocation.

The step records what dbt did, whatever happened: every model dbt committed is reported materialized
(with the rows it holds inside the run's window), every dbt test becomes an asset check result (passed
or failed, with dagster-dbt's `dagster_dbt/failed_row_count`), and only then does the step fail if a
model or a test failed. DuckDB allows one writer: dbt holds the file while it runs, so the events are
collected as dbt emits them and the row counts are added once the dbt process has exited, inside the
same exclusive hold of the warehouse; nothing is dropped when dbt fails.

dbt runs with `DBT_INDIRECT_SELECTION=buildable`: when automation builds a subset of the models (one raw
file landed), a test runs only if every model it reads is in the run or upstream of it. With dbt's
default (eager), building `stg_binance__spot_klines_1m` alone (klines landed before the trades) would run
the bars/klines reconciliation against bars that cannot exist yet, and fail the run.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from binance_assets.lib.keys import WAREHOUSE_POOL
from binance_assets.lib.partitions import DAY_RANGE_BACKFILL, run_days
from binance_assets.lib.resources import WarehouseResource
from binance_assets.lib.scope import complete_symbols, step_symbols
from binance_assets.transform import parse_cache
from binance_assets.transform.dbt_vars import partition_window_vars, window_env, window_predicate
from binance_assets.transform.project import dbt_project
from binance_assets.transform.translator import BinanceDbtTranslator
from binance_assets.warehouse import Warehouse

MERCHANT_DBT_SELECTOR = "tag:merchant"
INDIRECT_SELECTION = "buildable"


def build_dbt_assets(partitions_def: dg.PartitionsDefinition, settings=None) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        partitions_def=partitions_def,
        backfill_policy=DAY_RANGE_BACKFILL,
        dagster_dbt_translator=BinanceDbtTranslator(),
        pool=WAREHOUSE_POOL,
        name="binance_dbt_models",
        exclude=MERCHANT_DBT_SELECTOR,  # the merchant's models are partitioned by day: merchant/dbt_assets.py
    )
    def _dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        # The run's days, every symbol of them; a run that names its symbols (a late or replaced file)
        # rebuilds only those symbols' rows, and any symbol whose raw rows changed since (lib/scope.py).
        # Only symbols whose every raw table is loaded are built (lib.scope.complete_symbols).
        days, wh = run_days(context), warehouse.get()
        symbols: set[str] = set()
        for day in days:
            scoped, complete = step_symbols(context, wh, day), complete_symbols(wh, day)
            symbols |= complete if scoped is None else set(scoped) & complete
        if not symbols:
            context.log.warning(f"no symbol of {days[0]}..{days[-1]} has all its raw tables loaded: nothing to build")
            return
        window = partition_window_vars(days, symbols)
        yield from run_dbt_window(context, dbt, warehouse, window)

    return _dbt_models


def run_dbt_window(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, window: dict
) -> Iterator[object]:
    """`dbt build` of one partition window (the market marts' and the merchant marts' steps): yields every
    model dbt committed (with its row count) and every dbt test as a check result, then fails the step if
    anything failed."""
    context.log.info(f"dbt partition window: {window}")
    wh = warehouse.get()
    # dbt's profile reads the warehouse from the environment, the macros the window: set for this dbt call
    # only (a process that runs several steps, or tests, must not see one warehouse's settings leak into
    # the next). The window is no --vars, and the invocation starts from the partial parse kept for this
    # warehouse: dbt does not re-parse the project per run (binance_assets.transform.parse_cache).
    profile_env = warehouse.dbt_env()
    dbt_environ = {**profile_env, **window_env(window), "DBT_INDIRECT_SELECTION": INDIRECT_SELECTION}
    project_target, name = Path(dbt.project_dir) / "target", f"{context.run_id[:8]}-{uuid.uuid4().hex[:8]}"
    with wh.exclusive():
        with parse_cache.warm_target(project_target, profile_env, project_target / name) as target, \
                mock.patch.dict(os.environ, dbt_environ):
            invocation = dbt.cli(["build"], context=context, raise_on_error=False, target_path=target)
            events = list(invocation.stream())
        # Even after a failure: the models dbt committed are new data for readers (the serving API).
        wh.record_publish(f"dbt build {window}")
        yield from _with_row_counts(context, events, wh, window)
    error = invocation.get_error()
    if error is not None:
        raise dg.Failure(
            description=f"dbt build failed for {window or 'every partition'}: {_failed_nodes(events)}"
            f"{str(error)[-1500:]}",
            metadata={"dbt_command": invocation.dbt_command, "dbt_errors": str(error)[:4000]},
        )


def _with_row_counts(
    context: dg.AssetExecutionContext, events: list, warehouse: Warehouse, window: dict
) -> Iterator[object]:
    """Add `dagster/row_count` (rows inside the run's partition window) to every model's output."""
    where, params = window_predicate(window)
    for event in events:
        if isinstance(event, dg.Output):
            schema, table = context.asset_key_for_output(event.output_name).path[-2:]
            count = warehouse.query(f"select count(*) as n from {schema}.{table} where {where}", params)
            event = event.with_metadata({**event.metadata, "dagster/row_count": int(count["n"].iloc[0])})
        yield event


def _failed_nodes(events: list) -> str:
    """The failed checks by name, for the step's failure message (failed models appear in dbt_errors)."""
    failed = sorted(
        f"{'/'.join(e.asset_key.path)}:{e.check_name}"
        for e in events
        if isinstance(e, dg.AssetCheckResult) and not e.passed
    )
    return f"failed checks {failed}" if failed else "a model failed (see dbt_errors)"
