"""`binance-assets demo`: simulate a few days, materialize the whole graph locally, print what was built."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import time
from collections.abc import Callable

import dagster as dg

from binance_assets.automation.sensor_support import TAG_SOURCE
from binance_assets.binance.datasets import simulated_datasets
from binance_assets.binance.schema import Market
from binance_assets.binance.sim_universe import universe_from_settings
from binance_assets.binance.simulator import simulate_mirror, simulate_universe_mirror
from binance_assets.ingestion.definitions import UNIVERSE_JOB
from binance_assets.instance import local_instance
from binance_assets.lib.partitions import DaySymbol, day_key, universe_on
from binance_assets.lib.run_config import QUIET_CONSOLE
from binance_assets.settings import Settings
from binance_assets.warehouse import RAW_TABLES
from binance_assets.warehouse.table_names import (
    BARS_1M_TABLE,
    DATA_GAPS_TABLE,
    PREDICTIONS_TABLE,
    SYMBOL_DAILY_TABLE,
    UM_BARS_1M_TABLE,
)

# The demo's runs, told apart from the sensors' (`binance/source`: archive_landing_sensor, archive_poller).
DEMO_TAGS = {TAG_SOURCE: "demo"}
SUMMARY_ROWS = 40


def run_demo(settings: Settings, start: dt.date, days: int, echo: Callable[[str], None] = print) -> bool:
    from binance_assets.definitions import MAIN_JOB, defs  # loads the code locations as the UI does
    from binance_assets.ml.definitions import PREDICT_JOB, TRAIN_JOB, build_ml_defs

    if start < settings.start_date:
        raise ValueError(f"start {start} is before the first partition {settings.start_date}")
    mirror = settings.mirror_dir
    exchange = universe_from_settings(settings)
    if exchange is None:
        echo(f"simulating {days} day(s) x {len(settings.symbols)} symbol(s), "
             f"{settings.sim_trades_per_day:,} trades/day, into {mirror}")
        simulate_mirror(mirror, list(settings.symbols), start, days, seed=settings.sim_seed,
                        trades_per_day=settings.sim_trades_per_day, signal=settings.sim_signal)
    else:  # BINANCE_ASSETS_SIM_UNIVERSE=N: an exchange of N symbols (power-law volumes, listings, delistings)
        echo(f"simulating {days} day(s) of an exchange of {len(exchange.symbols)} symbols, "
             f"{settings.sim_universe_trades_per_day:,} trades/day in all, into {mirror}")
        simulate_universe_mirror(mirror, exchange, start, days, signal=settings.sim_signal)
    if settings.um_symbols:  # USD-M futures beside spot: their own symbol list (BINANCE_ASSETS_UM_SYMBOLS)
        echo(f"simulating {days} day(s) of USD-M perpetual(s) {', '.join(settings.um_symbols)}")
        simulate_mirror(mirror, list(settings.um_symbols), start, days, seed=settings.sim_seed + 1,
                        trades_per_day=settings.sim_trades_per_day, signal=settings.sim_signal,
                        datasets=simulated_datasets(Market.FUTURES_UM))

    instance = local_instance()
    ml_defs = build_ml_defs(settings)
    day_list = [start + dt.timedelta(days=i) for i in range(days)]
    # The universe from the mirror's exchangeInfo, then one run per day (every symbol of it), as the sensors run.
    steps = [("symbol universe: refresh", defs.resolve_job_def(UNIVERSE_JOB), None)]
    steps += [(f"{day}: raw, dbt, features", defs.resolve_job_def(MAIN_JOB), day_key(day)) for day in day_list]
    steps.append(("models: train and gate", ml_defs.resolve_job_def(TRAIN_JOB), None))
    steps += [(f"{day}: predictions", ml_defs.resolve_job_def(PREDICT_JOB), day_key(day)) for day in day_list]
    failures = 0
    for n, (label, job, partition_key) in enumerate(steps, 1):
        began = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # dbt's own log lines; they are in the run's logs
            result = job.execute_in_process(
                partition_key=partition_key, instance=instance, raise_on_error=False, run_config=QUIET_CONSOLE,
                tags=DEMO_TAGS,
            )
        # A failed blocking check fails its run; a non-blocking one (drift, id gaps) is flagged, not fatal.
        failed_checks = _failed_checks(result)
        status = "ok" if result.success else "FAILED"
        failures += not result.success
        extra = f" (checks flagged: {', '.join(failed_checks)})" if failed_checks else ""
        echo(f"[{n}/{len(steps)}] {label}: {status} in {time.perf_counter() - began:.1f}s{extra}")

    from binance_assets.merchant_demo import run_merchant_demo

    failures += not run_merchant_demo(settings, start, days, instance, echo)
    warehouse = defs.resources["warehouse"].get()
    markets = (Market.SPOT, Market.FUTURES_UM)
    parts = [DaySymbol(day, s) for day in day_list
             for s in sorted({s for m in markets for s in universe_on(settings, warehouse, day, m)})]
    _print_summary(defs, parts[:SUMMARY_ROWS], echo)
    if len(parts) > SUMMARY_ROWS:
        echo(f"... and {len(parts) - SUMMARY_ROWS} more (day, symbol) rows: binance-assets status --day D")
    _print_models(ml_defs, echo)
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


SUMMARY_SQL = f"""
select d.trade_date, d.symbol, d.trade_count, d.close, d.realised_volatility, d.buy_sell_imbalance,
       (select count(*) from {BARS_1M_TABLE} b where b.symbol = d.symbol and b.trade_date = d.trade_date) as bars,
       (select count(*) from {DATA_GAPS_TABLE} g where g.symbol = d.symbol and g.trade_date = d.trade_date) as gaps
from {SYMBOL_DAILY_TABLE} d
order by d.trade_date, d.trade_count desc, d.symbol
limit 40
"""


def _print_summary(defs: dg.Definitions, parts: list[DaySymbol], echo: Callable[[str], None]) -> None:
    warehouse = defs.resources["warehouse"].get()
    # One column per raw table (the registry's loaded datasets): spot ones by their archive word.
    labels = [t.kind.value if t.dataset.market is Market.SPOT else t.name for t in RAW_TABLES.values()]
    widths = [max(len(label) + 1, 9) for label in labels]
    echo(f"\n{'day':<12}{'symbol':<10}" + "".join(f"{label:>{w}}" for label, w in zip(labels, widths, strict=True)))
    for part in parts:
        counts = [warehouse.partition_row_count(table, part.symbol, part.day) for table in RAW_TABLES]
        echo(f"{part.day.isoformat():<12}{part.symbol:<10}" + "".join(
            f"{n:>{w},}" for n, w in zip(counts, widths, strict=True)))
    echo(f"\n{SYMBOL_DAILY_TABLE} (bars and gaps from {BARS_1M_TABLE} and {DATA_GAPS_TABLE}):")
    echo(f"{'day':<12}{'symbol':<10}{'trades':>9}{'close':>12}{'rv':>8}{'imbalance':>10}{'bars':>6}{'gaps':>6}")
    for row in warehouse.query(SUMMARY_SQL).itertuples(index=False):
        echo(f"{row.trade_date:%Y-%m-%d}  {row.symbol:<10}{row.trade_count:>9,}{row.close:>12,.2f}"
             f"{row.realised_volatility:>8.2%}{row.buy_sell_imbalance:>+10.3f}{row.bars:>6}{row.gaps:>6}")
    um = warehouse.query(f"select symbol, trade_date, count(*) as bars, sum(trade_count) as trades from "
                         f"{UM_BARS_1M_TABLE} group by symbol, trade_date order by trade_date, symbol")
    if len(um):
        echo(f"\n{UM_BARS_1M_TABLE} (USD-M futures bars; API /fapi/v1, dashboard UM:<symbol>):")
        for row in um.itertuples(index=False):
            echo(f"{row.trade_date:%Y-%m-%d}  {row.symbol:<10}{int(row.trades):>9,} trades{int(row.bars):>6} bars")


def _print_models(ml_defs: dg.Definitions, echo: Callable[[str], None]) -> None:
    from binance_assets.model_registry.card import format_metric  # metrics print as n/a when null

    registry = ml_defs.resources["model_registry"].get()
    warehouse = ml_defs.resources["warehouse"].get()
    echo("\nmodels (walk-forward CV against the naive baseline):")
    for name in registry.model_names():
        for card in registry.list_versions(name):
            echo(f"  {name} {card.version} {card.status}: {card.primary_metric} {format_metric(card.primary_value)} "
                 f"vs baseline {format_metric(card.baseline_value)}  ({card.status_reason})")
    if not warehouse.table_exists(PREDICTIONS_TABLE):
        echo(f"  {PREDICTIONS_TABLE}: no predictions yet: no model has a champion (a version is promoted only "
             "when it beats its baseline; a longer history helps: binance-assets demo --days N)")
        return
    counts = warehouse.query(
        f"select model_name, count(*) as n from {PREDICTIONS_TABLE} group by model_name order by 1"
    )
    for row in counts.itertuples(index=False):
        echo(f"  {PREDICTIONS_TABLE}: {row.n:,} rows from {row.model_name}")
    _print_realised_accuracy(warehouse, echo)


def _print_realised_accuracy(warehouse, echo: Callable[[str], None]) -> None:
    from binance_assets.ml.assets import CLASSIFIER
    from binance_assets.model_registry.card import format_metric
    from binance_assets.warehouse.realised import live_metric, realised_metrics_sql

    # The one realised-accuracy rule (binance_assets.warehouse.realised): out-of-sample rows only, in-sample counted.
    row = warehouse.query(realised_metrics_sql(PREDICTIONS_TABLE, ["judged", "hits", "in_sample"],
                                               where=["p.model_name = ?"]), [CLASSIFIER]).iloc[0].to_dict()
    rows, left_out = int(row["judged"] or 0), int(row["in_sample"] or 0)
    echo(f"  {CLASSIFIER} realised accuracy out of sample: {format_metric(live_metric('classification', row))} "
         f"on {rows:,} minutes ({left_out:,} in-sample minutes left out: scored by a model trained on their day)")
