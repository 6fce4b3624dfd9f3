"""Ingest benchmark: one simulated day of ~2,000,000 spot trades of one symbol, archive -> warehouse.

    .venv/bin/python benchmarks/ingest.py [--trades 2000000] [--repeat 1] [--skip-naive] [--universe 200]

Paths, each run in its own fresh subprocess (peak RSS = that process's `ru_maxrss`):

  (a) project   `load_partition(client, warehouse, SPOT_TRADES, day, symbol)`: zip read from disk,
                sha256 against the .CHECKSUM, parse + structural checks, then write-audit-publish:
                the blocking checks (the pandera model evaluated on the Arrow rows + unique ids), publish
                in one transaction; on DuckDB (temp file) and on PostgreSQL (temp database).
  (b) naive     `pandas.read_csv(zip)` + pandera `SpotTradesModel`, then into the same table as (a) on
                each engine: DuckDB `INSERT INTO raw.spot_trades BY NAME SELECT * FROM frame` (DuckDB's
                own pandas scan, the natural pandas -> DuckDB path), and PostgreSQL `DataFrame.to_sql`
                (SQLAlchemy, psycopg 3, chunksize=50_000, if_exists="append").
  (c) limit     DuckDB `CREATE TABLE t AS SELECT * FROM read_csv(<extracted csv>, columns=...)`, no checks.

`--universe N` adds a day of the N-symbol simulated universe (`binance-assets simulate --universe N`: a power
law of volumes, ~2 M trades a day in all, `--symbol` the biggest), on DuckDB:

  (a-day) project  `load_day(client, warehouse, SPOT_TRADES, day, symbols)`: every listed symbol's file of
                   the day, parsed and audited in parallel threads, each published in its own transaction.
  (c-day) limit    DuckDB `CREATE TABLE t AS SELECT * FROM read_csv([<every extracted csv>], columns=...)`.

Only the ingest is timed: imports, client/engine construction and the target's schema are set up
before the clock starts; the simulation and the CSV extraction for (c) happen in the parent. Every
run starts from an empty target (a new DuckDB file; PostgreSQL tables dropped and re-created, then
CHECKPOINT). The best of `--repeat` runs is kept. The last line is machine-readable:

    ingest: vs_naive=<x> vs_naive_postgres=<x'> vs_duckdb_limit=<y> peak_rss_mb=<z> [day_symbols=<n>
            day_rows=<r> day_vs_duckdb_limit=<d> day_peak_rss_mb=<m>]

`vs_naive` compares like with like: (a) on DuckDB over (b) on DuckDB (rows/s); `vs_naive_postgres` is the
PostgreSQL pair. Targets (issue 21) for (a) on DuckDB: vs_naive >= 2, vs_duckdb_limit >= 0.75, peak RSS
< 400 MB; for (a-day): day_vs_duckdb_limit >= 0.6.
`--smoke`: 5,000 rows, one run per path (checks every path, measures nothing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

from _measure import (
    Measurement,
    Stopwatch,
    WorkerTimedOut,
    fmt,
    markdown_table,
    ratio,
    run_worker,
    write_result,
)
from _smoke import parse_args as parse_with_smoke

SCRIPT = Path(__file__).resolve()
DEFAULT_PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TRADE_COLUMNS = ["trade_id", "price", "qty", "quote_qty", "trade_time", "is_buyer_maker", "is_best_match"]
DUCKDB_TYPES = {
    "trade_id": "BIGINT",
    "price": "DOUBLE",
    "qty": "DOUBLE",
    "quote_qty": "DOUBLE",
    "trade_time": "BIGINT",
    "is_buyer_maker": "BOOLEAN",
    "is_best_match": "BOOLEAN",
}
TARGET_VS_NAIVE = 2.0
TARGET_VS_LIMIT = 0.75
TARGET_PEAK_RSS_MB = 400.0
TARGET_DAY_VS_LIMIT = 0.6


# --- workers: each runs in a fresh interpreter, heavy imports only inside ---------------------------


def worker_project(spec: dict[str, Any], result: str) -> None:
    """(a) this project's path: `load_partition` for spot_trades."""
    from binance_assets.binance.archive_client import ArchiveClient
    from binance_assets.ingestion.load import load_partition
    from binance_assets.warehouse import SPOT_TRADES, make_warehouse

    work = Path(spec["work"])
    day = dt.date.fromisoformat(spec["day"])
    client = ArchiveClient(spec["mirror"], work / "downloads", work / "quarantine")
    if spec["engine"] == "duckdb":
        warehouse = make_warehouse("duckdb", duckdb_path=spec["duckdb_path"])
    else:
        warehouse = make_warehouse("postgres", postgres_url=spec["pg_url"])
    warehouse.ensure_schema()  # the target exists before the clock starts, as in production

    with Stopwatch() as watch:
        loaded = load_partition(client, warehouse, SPOT_TRADES, day, spec["symbol"])

    stored = warehouse.partition_row_count(SPOT_TRADES, spec["symbol"], day)
    if stored != loaded.rows:
        raise SystemExit(f"load_partition reported {loaded.rows} rows, the warehouse holds {stored}")
    write_result(result, rows=stored, seconds=watch.seconds, timestamp_unit=loaded.timestamp_unit)


def worker_project_day(spec: dict[str, Any], result: str) -> None:
    """(a-day) this project's path for a day of many symbols: `load_day` for spot_trades."""
    from binance_assets.binance.archive_client import ArchiveClient
    from binance_assets.ingestion.day_load import load_day
    from binance_assets.ingestion.load import PartitionLoad
    from binance_assets.warehouse import SPOT_TRADES, make_warehouse

    work = Path(spec["work"])
    day = dt.date.fromisoformat(spec["day"])
    client = ArchiveClient(spec["mirror"], work / "downloads", work / "quarantine")
    warehouse = make_warehouse("duckdb", duckdb_path=spec["duckdb_path"])
    warehouse.ensure_schema()

    with Stopwatch() as watch:
        outcomes = dict(load_day(client, warehouse, SPOT_TRADES, day, spec["symbols"]))

    failed = {s: str(o) for s, o in outcomes.items() if not (isinstance(o, PartitionLoad) and o.published)}
    if failed or len(outcomes) != len(spec["symbols"]):
        raise SystemExit(f"load_day did not publish every file: {failed}")
    (stored,) = warehouse.query("SELECT count(*) AS n FROM raw.spot_trades")["n"]
    loaded = sum(o.rows for o in outcomes.values())
    if stored != loaded:
        raise SystemExit(f"load_day reported {loaded} rows, the warehouse holds {stored}")
    write_result(result, rows=int(stored), seconds=watch.seconds, symbols=len(outcomes))


def worker_naive(spec: dict[str, Any], result: str) -> None:
    """(b) the naive peer: pandas.read_csv(zip) + pandera + DataFrame.to_sql via SQLAlchemy/psycopg."""
    import pandas as pd
    import sqlalchemy as sa

    from binance_assets.ingestion.schemas import SpotTradesModel

    day = pd.Timestamp(spec["day"])
    engine = sa.create_engine(spec["sa_url"])

    with Stopwatch() as watch:
        frame = pd.read_csv(spec["zip"], header=None, names=TRADE_COLUMNS)
        frame.insert(0, "symbol", spec["symbol"])
        frame.insert(1, "trade_date", day)
        unit = "us" if frame["trade_time"].max() >= 10**14 else "ms"  # spot files are µs from 2025
        frame["trade_time"] = pd.to_datetime(frame["trade_time"], unit=unit)
        frame = SpotTradesModel.validate(frame, lazy=True)
        # index=False: the raw table has no column for the pandas index (the default would add one).
        frame.to_sql("spot_trades", engine, schema="raw", if_exists="append", index=False, chunksize=50_000)
        engine.dispose()

    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM raw.spot_trades")).scalar_one()
    engine.dispose()
    write_result(result, rows=stored, seconds=watch.seconds, parsed_rows=len(frame))


def worker_naive_duckdb(spec: dict[str, Any], result: str) -> None:
    """(b) the naive peer on DuckDB: pandas.read_csv(zip) + pandera + INSERT ... SELECT FROM the frame."""
    import duckdb
    import pandas as pd

    from binance_assets.ingestion.schemas import SpotTradesModel
    from binance_assets.warehouse import make_warehouse

    make_warehouse("duckdb", duckdb_path=spec["duckdb_path"]).ensure_schema()  # the same table as (a)
    day = pd.Timestamp(spec["day"])
    with Stopwatch() as watch:
        frame = pd.read_csv(spec["zip"], header=None, names=TRADE_COLUMNS)
        frame.insert(0, "symbol", spec["symbol"])
        frame.insert(1, "trade_date", day)
        unit = "us" if frame["trade_time"].max() >= 10**14 else "ms"  # spot files are µs from 2025
        frame["trade_time"] = pd.to_datetime(frame["trade_time"], unit=unit)
        frame = SpotTradesModel.validate(frame, lazy=True)
        con = duckdb.connect(spec["duckdb_path"])
        con.register("frame", frame)
        con.execute("INSERT INTO raw.spot_trades BY NAME SELECT * FROM frame")
        con.close()

    con = duckdb.connect(spec["duckdb_path"], read_only=True)
    stored = con.execute("SELECT count(*) FROM raw.spot_trades").fetchone()[0]
    con.close()
    write_result(result, rows=stored, seconds=watch.seconds, parsed_rows=len(frame))


def worker_duckdb_limit(spec: dict[str, Any], result: str) -> None:
    """(c) DuckDB's own CSV reader straight into a table, no checks."""
    import duckdb

    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in DUCKDB_TYPES.items()) + "}"
    query = f"CREATE TABLE t AS SELECT * FROM read_csv(?, header = false, delim = ',', columns = {columns})"

    with Stopwatch() as watch:
        con = duckdb.connect(spec["duckdb_path"])
        con.execute(query, [spec["csv"]])  # one path, or the list of a day's files
        con.close()

    con = duckdb.connect(spec["duckdb_path"], read_only=True)
    stored = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    write_result(result, rows=stored, seconds=watch.seconds)


WORKERS = {
    "project": worker_project,
    "project_day": worker_project_day,
    "naive": worker_naive,
    "naive_duckdb": worker_naive_duckdb,
    "duckdb_limit": worker_duckdb_limit,
}


# --- parent --------------------------------------------------------------------------------------


def trades_per_day_for(target: int, symbol: str, day: dt.date, seed: int) -> tuple[int, int]:
    """The simulator's `trades_per_day` that gives ~`target` rows on `day` (it scales by a per-day
    factor in [0.8, 1.2]), and the exact row count it will give."""
    from binance_assets.binance.sim_calendar import calendar, day_index

    index = day_index(day)
    factor = int(calendar(seed, symbol, 10**9).trade_counts[index]) / 10**9
    per_day = max(1, round(target / factor))
    return per_day, int(calendar(seed, symbol, per_day).trade_counts[index])


def with_database(url: str, database: str, driver: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url).set(database=database)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    return parsed.render_as_string(hide_password=False)


class TempDatabase:
    """`bmp_bench_<hex>` on the server of `admin_url`, created on enter, dropped on exit."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"bmp_bench_{uuid.uuid4().hex[:12]}"
        self.url = with_database(admin_url, self.name)

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(statement)

    def __enter__(self) -> TempDatabase:
        self._admin(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc: object) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def reset(self) -> None:
        """Empty raw tables (dropped and re-created, with their index) and a CHECKPOINT."""
        import psycopg

        from binance_assets.warehouse import PostgresWarehouse

        warehouse = PostgresWarehouse(self.url)
        warehouse.drop_all()
        warehouse.ensure_schema()
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("CHECKPOINT")


def measure(
    label: str,
    engine: str,
    worker: str,
    make_spec: Any,
    args: argparse.Namespace,
    expected_rows: int,
    before: Any = None,
) -> Measurement:
    result = Measurement(label, engine)
    for attempt in range(1, args.repeat + 1):
        if before is not None:
            before()
        spec = make_spec(attempt)
        print(f"  {label} [{engine}] run {attempt}/{args.repeat} ...", end=" ", flush=True)
        try:
            run = run_worker(SCRIPT, worker, spec, timeout=args.timeout)
        except WorkerTimedOut:
            print(f"not done after {args.timeout:g}s of ingest, killed: rows/s is at most rows/timeout")
            result.add_timeout(expected_rows, args.timeout)
            break
        result.add(run)
        print(
            f"{run['rows']:,} rows in {run['seconds']:.2f}s, peak RSS {run['peak_rss_mb']:.0f} MB "
            f"(VmHWM {run['vm_hwm_mb']:.0f} MB)",
            flush=True,
        )
    return result


def measure_day(args: argparse.Namespace, tmp: Path, duckdb_file: Any) -> tuple[Measurement, Measurement]:
    """(a-day) and (c-day): a day of an `args.universe`-symbol simulated universe, ~`args.trades` trades in all."""
    from binance_assets.binance.schema import ArchiveKind
    from binance_assets.binance.sim_universe import make_universe
    from binance_assets.binance.simulator import simulate_universe_mirror

    clock = time.perf_counter()
    universe = make_universe(args.universe, start=args.day, seed=args.seed, names=[args.symbol],
                             total_trades=args.trades)  # fmt: skip
    mirror = tmp / "universe_mirror"
    done = simulate_universe_mirror(mirror, universe, args.day, 1, kinds=[ArchiveKind.TRADES])
    symbols = sorted(s.symbol for s in universe.listed_on(args.day))
    csv_dir = tmp / "universe_csv"
    csvs = []
    for zip_path in done.files:
        with zipfile.ZipFile(zip_path) as zf:
            (member,) = zf.infolist()
            csvs.append(str(zf.extract(member, csv_dir)))
    sizes = sum(Path(p).stat().st_size for p in done.files) / 1e6
    print(
        f"universe day simulated in {time.perf_counter() - clock:.1f}s: {len(symbols)} symbols listed, "
        f"{len(done.files)} files, {done.trades:,} trades, {sizes:.1f} MB of zips"
    )

    def project(attempt: int) -> dict[str, Any]:
        work = tmp / f"work_day_{attempt}"
        shutil.rmtree(work, ignore_errors=True)
        return {"mirror": str(mirror), "work": str(work), "day": args.day.isoformat(), "symbols": symbols,
                "duckdb_path": duckdb_file("project_day", attempt)}  # fmt: skip

    limit = measure(
        "(c-day) DuckDB read_csv limit", "duckdb", "duckdb_limit",
        lambda attempt: {"csv": csvs, "duckdb_path": duckdb_file("limit_day", attempt)}, args, done.trades,
    )  # fmt: skip
    loaded = measure("(a-day) load_day", "duckdb", "project_day", project, args, done.trades)
    return loaded, limit


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.platform()}"


def versions(postgres_url: str) -> str:
    from importlib.metadata import version

    import psycopg

    with psycopg.connect(postgres_url) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    packages = ("duckdb", "pyarrow", "pandas", "pandera", "sqlalchemy", "psycopg")
    listed = ", ".join(f"{name} {version(name)}" for name in packages)
    return f"Python {platform.python_version()}, {listed}, PostgreSQL {server}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trades", type=int, default=2_000_000, help="target rows of the day (default 2,000,000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per path, best kept (default 1)")
    parser.add_argument("--skip-naive", action="store_true", help="skip (b), pandas + pandera + insert")
    parser.add_argument(
        "--universe", type=int, default=0, help="also load a day of an N-symbol simulated universe (a-day, c-day)"
    )
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2025, 1, 15))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres-url", default=DEFAULT_PG, help="server for the temp database (admin db in it)")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds of timed ingest per run before it is killed (default 600)"
    )
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parse_with_smoke(parser, argv, trades=5_000, repeat=1)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        WORKERS[args.worker](json.loads(args.spec), args.result)
        return 0

    from binance_assets.binance.schema import ArchiveKind
    from binance_assets.binance.simulator import simulate_mirror

    started = time.time()
    per_day, expected = trades_per_day_for(args.trades, args.symbol, args.day, args.seed)
    print(
        f"machine: {machine()}\nversions: {versions(args.postgres_url)}\n"
        f"load at the start: {os.getloadavg()[0]:.1f} (1-min load average, {os.cpu_count()} cores, shared machine)\n"
        f"day: {args.symbol} {args.day}, simulating trades_per_day={per_day:,} -> {expected:,} rows"
    )
    with tempfile.TemporaryDirectory(prefix="bmp_bench_") as tmp_name, TempDatabase(args.postgres_url) as db:
        tmp = Path(tmp_name)
        mirror = tmp / "mirror"
        clock = time.perf_counter()
        (zip_path,) = simulate_mirror(
            mirror, [args.symbol], args.day, 1, seed=args.seed, trades_per_day=per_day, kinds=[ArchiveKind.TRADES]
        )
        with zipfile.ZipFile(zip_path) as zf:
            (member,) = zf.infolist()
            csv_path = Path(zf.extract(member, tmp / "csv"))
        print(
            f"simulated in {time.perf_counter() - clock:.1f}s: {zip_path.name} "
            f"{zip_path.stat().st_size / 1e6:.1f} MB zip, {csv_path.stat().st_size / 1e6:.1f} MB csv; "
            f"temp database {db.name}"
        )

        def duckdb_file(prefix: str, attempt: int) -> str:
            path = tmp / f"{prefix}_{attempt}.duckdb"
            for leftover in tmp.glob(f"{prefix}_*.duckdb*"):  # keep disk use to one copy
                leftover.unlink()
            return str(path)

        def project_spec(engine: str) -> Any:
            def make(attempt: int) -> dict[str, Any]:
                work = tmp / f"work_{engine}_{attempt}"
                shutil.rmtree(work, ignore_errors=True)
                return {
                    "engine": engine,
                    "mirror": str(mirror),
                    "work": str(work),
                    "day": args.day.isoformat(),
                    "symbol": args.symbol,
                    "duckdb_path": duckdb_file("project", attempt) if engine == "duckdb" else None,
                    "pg_url": db.url,
                }

            return make

        print("runs:")
        limit = measure(
            "(c) DuckDB read_csv limit",
            "duckdb",
            "duckdb_limit",
            lambda attempt: {"csv": str(csv_path), "duckdb_path": duckdb_file("limit", attempt)},
            args,
            expected,
        )
        project_duck = measure("(a) load_partition", "duckdb", "project", project_spec("duckdb"), args, expected)
        project_pg = measure(
            "(a) load_partition", "postgres", "project", project_spec("postgres"), args, expected, db.reset
        )
        naive = naive_pg = None
        if not args.skip_naive:
            naive = measure(
                "(b) pandas+pandera+insert",
                "duckdb",
                "naive_duckdb",
                lambda attempt: {
                    "zip": str(zip_path),
                    "symbol": args.symbol,
                    "day": args.day.isoformat(),
                    "duckdb_path": duckdb_file("naive", attempt),
                },
                args,
                expected,
            )
            sa_url = with_database(db.url, db.name, driver="postgresql+psycopg")
            naive_pg = measure(
                "(b) pandas+pandera+to_sql",
                "postgres",
                "naive",
                lambda attempt: {
                    "zip": str(zip_path),
                    "symbol": args.symbol,
                    "day": args.day.isoformat(),
                    "sa_url": sa_url,
                },
                args,
                expected,
                db.reset,
            )

        day_project = day_limit = None
        if args.universe:
            day_project, day_limit = measure_day(args, tmp, duckdb_file)

    measured = [m for m in (project_duck, naive, project_pg, naive_pg, limit) if m is not None]
    naive_on = {"duckdb": naive, "postgres": naive_pg}
    header = [
        "path", "engine", "rows", "seconds", "rows/s", "peak RSS MB", "ratio to naive (same engine)",
        "ratio to DuckDB limit",
    ]
    rows = []
    for m in measured:
        bound = ">" if m.timed_out else ""
        upper = "<=" if m.timed_out else ""
        rows.append(
            [
                m.path,
                m.engine,
                f"{m.rows:,}",
                bound + fmt(m.seconds),
                upper + fmt(m.rows_per_s, 0),
                "n/a" if m.timed_out else fmt(m.peak_rss_mb, 0),
                fmt(ratio(m, naive_on[m.engine])),
                fmt(ratio(m, limit)),
            ]
        )
    print()
    print(markdown_table(header, rows))
    print()

    day_files = day_project.runs[0].get("symbols", 0) if day_project is not None and day_project.runs else 0
    if day_project is not None:
        print(f"a day of the {args.universe}-symbol universe ({day_files} files):")
        day_rows = [
            [m.path, m.engine, f"{m.rows:,}", fmt(m.seconds), fmt(m.rows_per_s, 0),
             "n/a" if m.timed_out else fmt(m.peak_rss_mb, 0), fmt(ratio(m, day_limit))]
            for m in (day_project, day_limit)
        ]  # fmt: skip
        print(markdown_table(["path", "engine", "rows", "seconds", "rows/s", "peak RSS MB", "ratio to DuckDB limit"],
                             day_rows))  # fmt: skip
        print()

    vs_naive = ratio(project_duck, naive)
    vs_naive_pg = ratio(project_pg, naive_pg)
    vs_limit = ratio(project_duck, limit)
    peak = project_duck.peak_rss_mb
    naive_note = " (lower bound: naive was killed at the timeout)" if naive is not None and naive.timed_out else ""
    print(f"load at the end: {os.getloadavg()[0]:.1f} (1-min load average, {os.cpu_count()} cores)")
    checks = [
        (f"vs_naive >= {TARGET_VS_NAIVE:g}", vs_naive, None if math.isnan(vs_naive) else vs_naive >= TARGET_VS_NAIVE),
        (f"vs_duckdb_limit >= {TARGET_VS_LIMIT:g}", vs_limit, vs_limit >= TARGET_VS_LIMIT),
        (f"peak RSS < {TARGET_PEAK_RSS_MB:g} MB", peak, peak < TARGET_PEAK_RSS_MB),
    ]
    day_summary = ""
    if day_project is not None:
        vs_day = ratio(day_project, day_limit)
        checks.append((f"day_vs_duckdb_limit >= {TARGET_DAY_VS_LIMIT:g}", vs_day, vs_day >= TARGET_DAY_VS_LIMIT))
        day_summary = (
            f" day_symbols={day_files} day_rows={day_project.rows} "
            f"day_vs_duckdb_limit={fmt(vs_day).replace(',', '')} day_peak_rss_mb={day_project.peak_rss_mb:.0f}"
        )
    print("targets for (a) on DuckDB:")
    for name, value, met in checks:
        verdict = "not measured (--skip-naive)" if met is None else ("met" if met else "MISSED")
        note = naive_note if name.startswith("vs_naive") else ""
        print(f"  {name}: {fmt(value, 0 if 'RSS' in name else 2)} -> {verdict}{note}")
    print(f"total benchmark wall time {time.time() - started:.0f}s")
    print(
        f"ingest: vs_naive={fmt(vs_naive).replace(',', '')} vs_naive_postgres={fmt(vs_naive_pg).replace(',', '')} "
        f"vs_duckdb_limit={fmt(vs_limit).replace(',', '')} "
        f"peak_rss_mb={peak:.0f}{day_summary}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
