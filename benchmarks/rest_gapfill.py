"""REST gap-fill benchmark: what filling one full simulated day over Binance's REST API costs.

    .venv/bin/python benchmarks/rest_gapfill.py [--trades 20000] [--symbol BTCUSDT] [--day 2025-01-02]

The REST simulator (a real HTTP server on loopback) serves the day; `gapfill_partition` fills
spot_trades, spot_agg_trades and spot_klines_1m of an empty DuckDB warehouse. Measured per table:
requests, request weight (Binance's weights: historicalTrades 25, aggTrades 4, klines 2), seconds.
The fair peer, in the same run: loading the same day from the archive mirror (`load_partition`:
one zip + CHECKSUM per table). The REST rows are checked equal to the archive rows. A last table
extrapolates to a real BTCUSDT day (3,347,847 trades on 2024-12-31) under the client's weight budget.
Last line, machine-readable:

    rest_gapfill: requests=<n> weight=<w> rest_seconds=<s> archive_seconds=<a> rows=<r>
                  waited_seconds=<t> peak_weight_1m=<p>

`--smoke`: 2,000 trades (checks the path, measures nothing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import tempfile
import time
from pathlib import Path

from _smoke import parse_args

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.binance.rest_client import BinanceRestClient
from binance_assets.binance.rest_shapes import REQUEST_WEIGHTS, WEIGHT_LIMIT_1M
from binance_assets.binance.rest_sim_market import SimMarket
from binance_assets.binance.rest_simulator import RestSimulator
from binance_assets.binance.rest_tables import RestFetcher
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.ingestion.gapfill_load import gapfill_partition
from binance_assets.ingestion.load import load_partition
from binance_assets.warehouse import RAW_TABLES, DuckDBWarehouse

REAL_DAY_TRADES = 3_347_847  # BTCUSDT 2024-12-31, the official row count
REAL_AGG_RATIO = 0.6  # aggTrades per trade, about what the simulator draws (0.45-0.75)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trades", type=int, default=20_000)
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2025, 1, 2))
    parser.add_argument("--weight-share", type=float, default=0.8)
    args = parse_args(parser, trades=2_000)
    day, symbol = args.day, args.symbol
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tables = [t for t in RAW_TABLES.values() if t.dataset.rest_path is not None]  # what REST fills: spot, USD-M
        datasets = [t.dataset for t in tables]
        simulate_mirror(tmp / "mirror", [symbol], day, 1, trades_per_day=args.trades, datasets=datasets)
        market = SimMarket((symbol,), day, day, trades_per_day=args.trades, um_symbols=(symbol,))
        rest_wh, archive_wh = DuckDBWarehouse(tmp / "rest.duckdb"), DuckDBWarehouse(tmp / "archive.duckdb")
        archive = ArchiveClient(str(tmp / "mirror"), tmp / "dl", tmp / "q")
        rows = []
        with RestSimulator(market, market_data_keys=frozenset({"bench"})) as sim:  # USD-M trades want a key
            client = BinanceRestClient(sim.base_url, weight_share=args.weight_share, api_key="bench")
            fetcher = RestFetcher(client)
            for table in tables:
                start = time.perf_counter()
                fill = gapfill_partition(fetcher, rest_wh, table, day, symbol)
                rest_s = time.perf_counter() - start
                start = time.perf_counter()
                load_partition(archive, archive_wh, table, day, symbol)
                archive_s = time.perf_counter() - start
                same = rest_wh.read_partition_arrow(table.name, symbol, day).equals(
                    archive_wh.read_partition_arrow(table.name, symbol, day)
                )
                rows.append((table.name, fill.rows_after, fill.requests, fill.weight, rest_s, archive_s, same))
            assert client.stats.weight == sim.weight_used(), "client and server disagree on the weight"
            waited, peak = client.stats.waited_seconds, client.stats.max_used_weight
    print(f"REST gap-fill of {symbol} {day}, {args.trades} simulated trades/day (simulator on loopback)")
    print(f"{'table':<16}{'rows':>8}{'requests':>10}{'weight':>8}{'rest s':>9}{'archive s':>11}  same rows")
    for name, n, req, weight, rest_s, archive_s, same in rows:
        print(f"{name:<16}{n:>8}{req:>10}{weight:>8}{rest_s:>9.2f}{archive_s:>11.2f}  {same}")
    total = [sum(r[i] for r in rows) for i in (1, 2, 3, 4, 5)]
    print(f"{'total':<16}{total[0]:>8}{total[1]:>10}{total[2]:>8}{total[3]:>9.2f}{total[4]:>11.2f}")
    print(f"waited for the next minute's weight: {waited:.1f} s; highest X-MBX-USED-WEIGHT-1M seen: {peak}")

    budget = int(WEIGHT_LIMIT_1M * args.weight_share)
    trade_pages = math.ceil(REAL_DAY_TRADES / 1000) + 1
    agg_pages = math.ceil(REAL_DAY_TRADES * REAL_AGG_RATIO / 1000) + 1
    estimate = [
        ("historicalTrades", trade_pages, trade_pages * REQUEST_WEIGHTS["/api/v3/historicalTrades"]),
        ("aggTrades", agg_pages + 1, (agg_pages + 1) * REQUEST_WEIGHTS["/api/v3/aggTrades"]),
        ("klines", 2, 2 * REQUEST_WEIGHTS["/api/v3/klines"]),
    ]
    weight = sum(w for _, _, w in estimate)
    print(f"\nExtrapolated to a real BTCUSDT day ({REAL_DAY_TRADES:,} trades), budget {budget}/min:")
    for name, req, w in estimate:
        print(f"  {name:<18}{req:>8} requests {w:>8} weight")
    print(f"  {'total':<18}{sum(r for _, r, _ in estimate):>8} requests {weight:>8} weight = {weight / budget:.1f} min")
    print(
        f"rest_gapfill: requests={total[1]} weight={total[2]} rest_seconds={total[3]:.2f} "
        f"archive_seconds={total[4]:.2f} rows={total[0]} waited_seconds={waited:.1f} peak_weight_1m={peak}"
    )


if __name__ == "__main__":
    main()
