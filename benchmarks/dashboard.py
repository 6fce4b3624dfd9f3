"""Dashboard at the universe's size: the Data health heat map and the Market page's symbol list over a universe of
2,000 symbols x 31 days, over HTTP and in Chromium, against the heat map as the dashboard built it before
(every cell of every symbol in Python, all of them in one answer), measured in the same run.

    python benchmarks/dashboard.py [--symbols 2000] [--days 31] [--bars-per-day 240] [--repeat 20] [--work DIR]

The warehouse is made up in DuckDB with SQL: raw.symbol_universe (tests/support/universe.py `synthetic_rows`:
power-law volumes, listings over the years, about one in twelve delisted), raw.load_log records of three raw tables
for every listed (symbol, day) but about one in fifty (missing), and derived tables keyed by (symbol, trade_date):
marts.fct_symbol_daily (a row a day) and marts.fct_bars_1m, features.minute_features, ml.predictions
(`--bars-per-day` rows a day; the pipeline writes 1,440). The app is served by uvicorn in a thread.

Timed (milliseconds; median and p95 of `--repeat` requests, one at a time):
* `symbols page`: /dashboard/data/symbols, page 1 by volume (25 symbols); the first request also copies the
  snapshot and reads the universe (`cold`);
* `health page`: /dashboard/data/health, 31 days, page 1 problems first (25 symbols); its first request builds
  the heat map's arrays for the version (`cold`); then a filtered page (quote BTC) and page 10;
* `unpaged peer`: the previous `health.heatmap` (per cell, every symbol; here `unpaged_heatmap`) in-process over
  the same snapshot, and the new path in-process without its per-version cache (`grid build`), both cold;
* Chromium: a navigation to the Data health page until its heat maps are drawn, the next page, the heat maps'
  drawing alone (the page's own `data-draw-ms`: from the answer to the second animation frame), and the Market
  page until its symbol list is drawn (Debian's chromium under Playwright; `BINANCE_ASSETS_TEST_CHROMIUM`). The
  first navigation of a fresh browser is counted (its fonts are looked up then).

Prints a table and `dashboard: symbols=.. health_page_ms=.. health_cold_ms=.. symbols_page_ms=..
browser_health_ms=.. vs_unpaged=..` (warm health page p95; its cold first request; symbols page p95; the health
page in Chromium; the peer's time over the new path's cold build). Targets: warm pages p95 < 200 ms, the first
request of a version < 2 s, Chromium draws a page < 2 s, at 2,000 symbols.
`--smoke`: 200 symbols, 3 days, 24 bars a day, 3 repeats (checks the path, measures nothing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from _smoke import parse_args  # noqa: E402  (benchmarks/, the script's folder, is on sys.path)

END = dt.date(2025, 1, 31)
RAW = ("spot_agg_trades", "spot_klines_1m", "spot_trades")
CHROMIUM = os.environ.get("BINANCE_ASSETS_TEST_CHROMIUM", "/usr/bin/chromium")


def build(path: Path, symbols: int, days: int, bars_per_day: int) -> None:
    """The made-up warehouse (see the module doc)."""
    from support.universe import synthetic_rows, write_universe

    from binance_assets.warehouse import DuckDBWarehouse
    from binance_assets.warehouse.load_log import LOAD_LOG
    from binance_assets.warehouse.table_names import (
        BARS_1M_TABLE,
        FEATURES_TABLE,
        PREDICTIONS_TABLE,
        SYMBOL_DAILY_TABLE,
        SYMBOL_UNIVERSE_TABLE,
    )

    start = END - dt.timedelta(days=days - 1)
    wh = DuckDBWarehouse(path)
    wh.ensure_schema()
    write_universe(wh, synthetic_rows(symbols, last_listed=END))
    raw = ", ".join(f"('{t}')" for t in RAW)
    with wh.connect() as con:
        con.execute(f"""
            CREATE TEMP TABLE listed AS
            SELECT u.symbol, d::DATE AS trade_date FROM {SYMBOL_UNIVERSE_TABLE} u,
                   range(DATE '{start}', DATE '{END}' + 1, INTERVAL 1 DAY) r(d)
            WHERE d::DATE >= u.first_day AND (u.last_day IS NULL OR d::DATE <= u.last_day)""")
        con.execute(f"""
            INSERT INTO {LOAD_LOG} (table_name, symbol, trade_date, version, "rows", sha256, loaded_at)
            SELECT t.name, l.symbol, l.trade_date, 1, 1000, md5(l.symbol || t.name || l.trade_date::VARCHAR),
                   l.trade_date + INTERVAL 26 HOUR
            FROM listed l, (VALUES {raw}) t(name)
            WHERE hash(l.symbol, l.trade_date, t.name) % 50 <> 0""")
        held = f"SELECT DISTINCT symbol, trade_date FROM {LOAD_LOG} ORDER BY trade_date, symbol"
        price = "100.0 + (hash(h.symbol, m) % 1000) / 10.0"
        columns = {  # what the Market page's charts read of each (the pipeline's columns)
            SYMBOL_DAILY_TABLE: (1, f"{price} AS close"),
            BARS_1M_TABLE: (bars_per_day, f"{{t}} AS open_time, {price} AS open, {price} + 1 AS high, "
                                          f"{price} - 1 AS low, {price} AS close, 2.0 AS volume, "
                                          f"2.0 * ({price}) AS quote_volume, 3::BIGINT AS trade_count, "
                                          f"1.0 AS taker_buy_base_volume, {price} AS taker_buy_quote_volume"),
            FEATURES_TABLE: (bars_per_day, "{t} AS minute, (hash(h.symbol, m) % 3) - 1.0 AS label_forward_return"),
            PREDICTIONS_TABLE: (bars_per_day, "{t} AS minute, (hash(m) % 2)::DOUBLE AS prediction, 0.5 AS probability, "
                                              "'price_direction_classifier' AS model_name, 'v1' AS model_version, "
                                              "false AS in_sample"),
        }
        for table, (per_day, select) in columns.items():
            step = f"h.trade_date + to_minutes(m * {1440 // per_day})"
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.split('.')[0]}")
            con.execute(f"""
                CREATE TABLE {table} AS SELECT h.symbol, h.trade_date, {select.format(t=step)}
                FROM ({held}) h, range({per_day}) r(m) ORDER BY h.trade_date, h.symbol, m""")
    wh.record_publish("benchmark")


def unpaged_heatmap(session, start: dt.date, end: dt.date, due_hours: float) -> dict:
    """The heat map as `health.heatmap` built it before the universe (commit ceefabc): every cell of every symbol
    with a load record, one at a time, all in one answer. The peer."""
    from binance_api.dashboard.health import arrivals, cell_status, derived_tables, is_late, partition_key
    from binance_assets.warehouse.load_log import LOAD_LOG

    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    records = session.query(f"SELECT * FROM {LOAD_LOG} WHERE trade_date >= ? AND trade_date <= ? AND superseded_at "
                            "IS NULL ORDER BY table_name, symbol, trade_date", [start, end]).to_pylist()
    symbols = sorted({r["symbol"] for r in records})
    by_key = {(r["table_name"], r["symbol"], r["trade_date"]): r for r in records}
    arrived = arrivals(session, start, end)
    raw_present = {(r["symbol"], r["trade_date"]) for r in records}
    tables = []
    for name in sorted({r["table_name"] for r in records}):
        rows = []
        for symbol in symbols:
            cells = []
            for day in days:
                rec = by_key.get((name, symbol, day))
                late = rec is not None and is_late(arrived.get((name, symbol, day)), day, due_hours)
                status, flags = cell_status(present=rec is not None, checks=[], late=late)
                key = partition_key(day, symbol)  # what the per-cell lookups of checks were keyed by
                cells.append({"day": day.isoformat(), "status": status, "flags": flags, "key": key})
            rows.append({"symbol": symbol, "cells": cells})
        tables.append({"table": f"raw.{name}", "rows": rows})
    for table in derived_tables(session):
        counts = session.query(f"SELECT symbol, trade_date, count(*) AS n FROM {table} WHERE trade_date >= ? AND "
                               "trade_date <= ? GROUP BY symbol, trade_date", [start, end]).to_pylist()
        present = {(r["symbol"], r["trade_date"]) for r in counts if r["n"]}
        rows = []
        for symbol in symbols:
            cells = []
            for day in days:
                if (symbol, day) not in present and (symbol, day) not in raw_present:
                    cells.append({"day": day.isoformat(), "status": "missing", "flags": ["missing"]})
                    continue
                status, flags = cell_status(present=(symbol, day) in present, checks=[])
                cells.append({"day": day.isoformat(), "status": status, "flags": flags})
            rows.append({"symbol": symbol, "cells": cells})
        tables.append({"table": table, "rows": rows})
    return {"days": [d.isoformat() for d in days], "symbols": symbols, "tables": tables}


def paged_cold(session, start: dt.date, end: dt.date, due_hours: float) -> dict:
    """The new path without its per-version cache: the grid's arrays, statuses, problems, page 1."""
    from binance_api.dashboard import health, health_grid
    from binance_api.dashboard.symbols import SymbolQuery, select
    from binance_api.services.universe import listings

    shown, _ = listings(session)
    grid = health_grid.build_grid(session, shown, health.derived_tables(session), start, end, due_hours)
    cells = health_grid.masks(grid, [], {})
    page = select(shown, SymbolQuery(sort="problems"), health_grid.problems(grid, cells))
    return {"tables": health_grid.page_tables(grid, cells, [x.symbol for x in page.listings])}


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def browser_times(url: str, token: str, repeat: int) -> dict[str, list[float]]:
    from playwright.sync_api import expect, sync_playwright

    out: dict[str, list[float]] = {"chromium health page": [], "chromium next page": [], "chromium heat map draw": [],
                                   "chromium market page": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=url)
        context.add_cookies([{"name": "bmp_dashboard", "value": token, "url": url + "/dashboard"}])
        page = context.new_page()
        for _ in range(repeat):
            t = time.perf_counter()
            page.goto("/dashboard/health")
            expect(page.locator("#heatmaps")).to_have_attribute("data-ready", "1", timeout=60_000)
            out["chromium health page"].append((time.perf_counter() - t) * 1000)
            out["chromium heat map draw"].append(float(page.locator("#heatmaps").get_attribute("data-draw-ms")))
            t = time.perf_counter()
            page.get_by_role("button", name="Next page").click()
            expect(page.locator("#symbol-page")).to_have_attribute("data-page", "2", timeout=60_000)
            expect(page.locator("#heatmaps")).to_have_attribute("data-ready", "1", timeout=60_000)
            out["chromium next page"].append((time.perf_counter() - t) * 1000)
            out["chromium heat map draw"].append(float(page.locator("#heatmaps").get_attribute("data-draw-ms")))
            t = time.perf_counter()
            page.goto("/dashboard/market")
            expect(page.locator("#symbol-list")).to_have_attribute("data-ready", "1", timeout=60_000)
            out["chromium market page"].append((time.perf_counter() - t) * 1000)
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--symbols", type=int, default=2000)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--bars-per-day", type=int, default=240)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--work", type=Path, default=None,
                        help="keep the warehouse in this folder and reuse it on the next run (default: a temp dir)")
    args = parse_args(parser, symbols=200, days=3, bars_per_day=24, repeat=3)
    if not Path(CHROMIUM).exists():
        sys.exit(f"no chromium at {CHROMIUM} (apt-get install chromium, or set BINANCE_ASSETS_TEST_CHROMIUM)")
    import duckdb
    import httpx
    from support.live_server import LiveServer

    from binance_api.core.security import mint_token
    from binance_api.main import create_app
    from binance_api.settings import ApiConfig, ApiSettings
    from binance_assets.settings import Environment, Settings

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    path = work / "warehouse.duckdb"
    if args.work and (work / "built").exists():
        print(f"warehouse: reusing {path}", flush=True)
    else:
        work.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        build(path, args.symbols, args.days, args.bars_per_day)
        (work / "built").touch()
        print(f"warehouse: {args.symbols} symbols x {args.days} days, {args.bars_per_day} rows a day in 3 derived "
              f"tables, built in {time.perf_counter() - t:.1f}s ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    start, due = END - dt.timedelta(days=args.days - 1), 6.0
    con = duckdb.connect(str(path), read_only=True)

    class Session:
        version = "bench"

        def query(self, sql, params=None):
            return con.sql(sql, params=list(params) if params is not None else None).to_arrow_table()

    t = time.perf_counter()
    peer = unpaged_heatmap(Session(), start, END, due)
    peer_ms = (time.perf_counter() - t) * 1000
    peer_bytes = len(json.dumps(peer))
    del peer
    grid_ms = min(timed(lambda: paged_cold(Session(), start, END, due), 2))
    con.close()

    core = Settings(env=Environment.LOCAL, duckdb_path=path, data_dir=work / "data", symbols=["BTCUSDT"],
                    raw_due_hours_after_midnight=due)
    config = ApiConfig(api=ApiSettings(jwt_secret="bench-" + secrets.token_hex(16), redis_url=None), core=core)
    token = mint_token(config, "bench", ["market_data"], dt.timedelta(hours=1))
    rows: dict[str, list[float]] = {}
    app = create_app(config)
    logging.getLogger("binance_api.access").setLevel(logging.WARNING)  # no line per request in the output
    with LiveServer(app) as server, httpx.Client(base_url=server.url, cookies={"bmp_dashboard": token},
                                                                 timeout=120) as http:
        def get(path: str, **params) -> bytes:
            r = http.get(path, params=params)
            r.raise_for_status()
            return r.content

        health = {"start": start.isoformat(), "end": END.isoformat()}
        rows["symbols page (cold)"] = timed(lambda: get("/dashboard/data/symbols"), 1)
        rows["health page (cold)"] = timed(lambda: get("/dashboard/data/health", **health), 1)
        rows["symbols page"] = timed(lambda: get("/dashboard/data/symbols"), args.repeat)
        rows["health page"] = timed(lambda: get("/dashboard/data/health", **health), args.repeat)
        rows["health page, quote BTC"] = timed(lambda: get("/dashboard/data/health", **health, quote="BTC"),
                                               args.repeat)
        rows["health page 10"] = timed(lambda: get("/dashboard/data/health", **health, page="10"), args.repeat)
        page_bytes = len(get("/dashboard/data/health", **health))
        rows.update(browser_times(server.url, token, max(1, args.repeat // 4)))
    rows["unpaged peer (in-process, cold)"] = [peer_ms]
    rows["grid build (in-process, cold)"] = [grid_ms]

    print(f"\n{'what':<34} {'n':>4} {'median ms':>10} {'p95 ms':>9}")
    for name, values in rows.items():
        print(f"{name:<34} {len(values):>4} {statistics.median(values):>10.1f} {p95(values):>9.1f}")
    print(f"answer bytes: health page {page_bytes:,} (25 symbols); unpaged peer {peer_bytes:,} (every symbol)")
    print(f"dashboard: symbols={args.symbols} health_page_ms={p95(rows['health page']):.1f} "
          f"health_cold_ms={rows['health page (cold)'][0]:.1f} symbols_page_ms={p95(rows['symbols page']):.1f} "
          f"browser_health_ms={statistics.median(rows['chromium health page']):.1f} "
          f"vs_unpaged={peer_ms / grid_ms:.1f} "
          f"(details: days={args.days}, peer_ms={peer_ms:.0f}, grid_build_ms={grid_ms:.0f}, "
          f"browser_market_ms={statistics.median(rows['chromium market page']):.0f})")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
