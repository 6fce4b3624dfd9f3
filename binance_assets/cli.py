"""`binance-assets`: simulate a mirror, validate an archive, run the demo."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated

import typer

from binance_assets.binance.errors import BinanceDataError
from binance_assets.ops.models_cli import models_app
from binance_assets.settings import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


def _symbols(value: str) -> list[str]:
    return [s.strip().upper() for s in value.split(",") if s.strip()]


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Mirror folder to write (data.binance.vision layout).")],
    symbols: Annotated[str, typer.Option(help="Comma-separated symbols.")] = "BTCUSDT,ETHUSDT",
    start: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="First UTC day.")] = dt.datetime(2025, 1, 1),
    days: Annotated[int, typer.Option(min=1)] = 3,
    seed: Annotated[int, typer.Option()] = 7,
    trades_per_day: Annotated[int, typer.Option(min=1, help="Per symbol (without --universe).")] = 20_000,
    signal: Annotated[float, typer.Option(min=0, help="Planted predictive signal (0 = random walk).")] = 0.0,
    universe: Annotated[int, typer.Option(min=0, help="N symbols in all (--symbols first): a power law of "
                                          "volumes, listings and delistings, exchangeInfo in the mirror.")] = 0,
    total_trades: Annotated[int, typer.Option(min=1, help="With --universe: trades a day in all.")] = 2_000_000,
    alpha: Annotated[float, typer.Option(min=0.01, help="With --universe: the power law's exponent.")] = 1.5,
    zip_level: Annotated[int, typer.Option(min=1, max=9, help="With --universe: deflate level.")] = 6,
) -> None:
    """Write a byte-exact simulated mirror: trades, aggTrades and 1m klines zips with .CHECKSUM files."""
    from binance_assets.binance.sim_universe import make_universe
    from binance_assets.binance.simulator import simulate_mirror, simulate_universe_mirror

    began, names = time.perf_counter(), _symbols(symbols)
    if not universe:
        written = simulate_mirror(out, names, start.date(), days, seed=seed, trades_per_day=trades_per_day,
                                  signal=signal)  # fmt: skip
        typer.echo(f"wrote {len(written)} files under {out}")
        return
    try:
        exchange = make_universe(universe, start=start.date(), seed=seed, names=names, total_trades=total_trades,
                                 alpha=alpha)  # fmt: skip
    except (ValueError, BinanceDataError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    done = simulate_universe_mirror(out, exchange, start.date(), days, signal=signal, compresslevel=zip_level)
    typer.echo(f"wrote {len(done.files)} archives under {out}: {universe} symbols, {done.symbol_days} symbol-days, "
               f"{done.trades:,} trades in {time.perf_counter() - began:.1f} s; exchangeInfo at {done.exchange_info}")


@app.command("validate-archive")
def validate_archive(
    path: Annotated[Path, typer.Argument(help="A Binance archive: .zip holding one CSV, or a .csv.")],
    checksum: Annotated[
        Path | None, typer.Option(help="Its .CHECKSUM file (default: <zip>.CHECKSUM beside it).")
    ] = None,
    symbol: Annotated[str | None, typer.Option(help="Symbol (default: from the file name).")] = None,
    day: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="UTC day (default: from the file name).")
    ] = None,
    market: Annotated[
        str | None,
        typer.Option(help="spot, futures/um or futures/cm (default: from the data/... path, else the contents)."),
    ] = None,
    interval: Annotated[
        str | None, typer.Option(help="Klines interval, 1s ... 1mo (default: from the file name, else 1m).")
    ] = None,
) -> None:
    """Read one archive, run the pipeline's row checks on it and print a JSON summary.

    Futures archives are checked as their market has them (market from the data.binance.vision path,
    the header or --market), klines against the close time of their interval (from the file name, e.g.
    BTCUSDT-1h-2025-01-01.zip, or --interval); a monthly archive (SYMBOL-kind-YYYY-MM.zip) holds its month.

    Exit 0 when the pipeline would publish it (id gaps are printed as warnings), 2 with a one-line
    error naming the failed checks when it would refuse it or cannot read it.
    """
    from binance_assets.binance.schema import Market
    from binance_assets.ingestion.validate import ArchiveNameError
    from binance_assets.ingestion.validate import validate_archive as run_checks

    try:
        if market is not None and market not in {m.value for m in Market}:
            raise ArchiveNameError(f"--market must be one of {', '.join(m.value for m in Market)}, got {market!r}")
        result = run_checks(
            path,
            checksum,
            symbol=symbol.upper() if symbol else None,
            day=day.date() if day else None,
            market=Market(market) if market else None,
            interval=interval,
        )
    except (BinanceDataError, OSError, ArchiveNameError) as exc:
        typer.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(result.as_dict(), default=str))
    for warning in result.warnings:
        typer.echo(f"warning: {warning.name}: {warning.summary}", err=True)
    if result.rejected:
        typer.echo(f"error: {path.name} would not be published, blocking checks failed: {result.rejection}", err=True)
        raise typer.Exit(2)


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=1, help="Simulated days.")] = 3,
    start: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])] = dt.datetime(2025, 1, 1),
) -> None:
    """Simulate days for the configured symbols and materialize the whole asset graph on the local default."""
    from binance_assets.demo import run_demo

    settings = get_settings()
    _database_or_exit(settings)
    ok = run_demo(settings, start.date(), days, echo=typer.echo)
    raise typer.Exit(0 if ok else 1)


def _database_or_exit(settings) -> None:
    """PostgreSQL: the warehouse's database exists (created now if missing and the role may), else exit 2 with
    one line saying what to run. Before any run starts: each would fail on it."""
    if settings.warehouse_kind != "postgres":
        return
    import psycopg

    from binance_assets.warehouse import DatabaseMissing, PostgresWarehouse, warehouse_from_settings

    warehouse = warehouse_from_settings(settings)
    assert isinstance(warehouse, PostgresWarehouse)  # nosec B101 # warehouse_kind is postgres
    try:
        if warehouse.ensure_database():
            typer.echo(f"created the warehouse's database {settings.postgres_url} (empty)")
    except DatabaseMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except psycopg.OperationalError as exc:
        typer.echo(f"error: cannot connect to {settings.postgres_url}: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(2) from None


app.add_typer(models_app, name="models")


@app.command()
def exporter(
    port: Annotated[int, typer.Option(help="Port of /metrics.")] = 9108,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "0.0.0.0",  # nosec B104 - a container port
    workspace: Annotated[
        Path | None, typer.Option(help="Workspace file for the freshness policies (default ./workspace.yaml).")
    ] = None,
    cache_seconds: Annotated[float, typer.Option(min=0, help="Scrapes within this reuse the last read.")] = 10.0,
    models: Annotated[bool, typer.Option(help="Model metrics from the registry and the warehouse.")] = True,
    accuracy_window_days: Annotated[float, typer.Option(min=0.01, help="Days of live accuracy.")] = 7.0,
) -> None:
    """Serve Prometheus metrics of the Dagster instance (DAGSTER_HOME), its code locations and the models."""
    from binance_assets.monitoring.exporter import default_workspace, run

    run(port, host, workspace or default_workspace(), cache_seconds, models, accuracy_window_days)
# --- operations: data quality of the latest partitions, post-deploy smoke test (binance_assets.ops) ----------
@app.command()
def status(
    day: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="The UTC day (YYYY-MM-DD).")],
    problems: Annotated[bool, typer.Option(help="Only the files not loaded on time.")] = False,
) -> None:
    """Per symbol of the day's universe and raw table: loaded, loaded late, failed, missing or pending."""
    from binance_assets.lib.resources import warehouse_resource
    from binance_assets.ops.status import day_status, format_status

    settings = get_settings()
    rows = day_status(settings, warehouse_resource(settings).get(), day.date(), dt.datetime.now(dt.UTC))
    head, *lines = format_status(day.date(), rows)
    typer.echo(head)
    for line, row in zip(lines, rows, strict=True):
        if not problems or row.status != "loaded":
            typer.echo(line)


@app.command()
def check(
    days: Annotated[int, typer.Option(min=1, help="Newest loaded days per symbol to check.")] = 1,
    skip: Annotated[
        list[str] | None, typer.Option(help="A check to leave out: NAME or ASSET:NAME (repeatable).")
    ] = None,
    dbt: Annotated[bool, typer.Option(help="Run the dbt tests of the latest window.")] = True,
    dagster: Annotated[bool, typer.Option(help="Run the code locations' standalone asset checks.")] = True,
    fail_on_warn: Annotated[bool, typer.Option(help="Failed WARN checks fail the command too.")] = False,
) -> None:
    """Asset checks and dbt tests of the latest partitions against the configured warehouse
    (BINANCE_ASSETS_ENV); exit 1 and alert on a failed check."""
    from binance_assets.ops.check import run_check

    report = run_check(get_settings(), days=days, skip=skip or [], dbt=dbt, dagster=dagster,
                       fail_on_warn=fail_on_warn, echo=typer.echo)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def smoke(
    base_url: Annotated[str, typer.Option(help="The API's base URL, e.g. https://api.example.com")],
    token: Annotated[str | None, typer.Option(envvar="BINANCE_ASSETS_SMOKE_TOKEN", show_default=False,
                                              help="Bearer token, when /api/v3 is not public.")] = None,
    symbol: Annotated[str | None, typer.Option(help="Symbol for /api/v3/klines (default: the first listed).")] = None,
    attempts: Annotated[int, typer.Option(min=1, help="Tries per request.")] = 3,
    wait_seconds: Annotated[float, typer.Option(min=0, help="Pause between tries.")] = 2.0,
) -> None:
    """Post-deploy smoke test of the serving API: /health/ready, ping, exchangeInfo, klines; exit 1 on failure."""
    from binance_assets.ops.smoke import SmokeFailure, run_smoke

    try:
        run_smoke(base_url, token=token, symbol=symbol, attempts=attempts, wait_seconds=wait_seconds, echo=typer.echo)
    except SmokeFailure as exc:
        typer.echo(f"smoke test FAILED: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"smoke test passed: {base_url}")


def main() -> None:
    # Partitioned asset checks are a Dagster preview feature: said once in docs/concepts/partitions.md, not per run.
    # From dagster_shared, where dagster defines them: `import dagster` here would cost every command (validating
    # one archive, simulating a mirror) half a second before it starts; the commands that need Dagster import it.
    from dagster_shared.utils.warnings import BetaWarning, PreviewWarning

    warnings.filterwarnings("ignore", category=PreviewWarning)
    warnings.filterwarnings("ignore", category=BetaWarning)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
