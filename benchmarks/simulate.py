"""Exchange-scale simulator benchmark: one day of a simulated universe written as a byte-exact mirror.

    .venv/bin/python benchmarks/simulate.py [--symbols 200] [--trades 2000000] [--day 2025-01-01] [--seed 7]

`make_universe(--symbols)` (BTCUSDT and ETHUSDT first, a power law of volumes, listings and delistings) is
scaled so that the symbols listed on `--day` trade `--trades` trades in all on that day (read from the
simulator's calendar before anything is timed). Each path writes the same archives (trades, aggTrades, 1m
klines: zip + .CHECKSUM) into a fresh folder:

| path | what is timed |
|---|---|
| (a) universe | `simulate_universe_mirror(...)`: 2 threads, deflate level 6, plus exchangeInfo and tickers |
| (a1) universe, level 1 | the same with `compresslevel=1` (same CSVs, ~30% larger zips) |
| (b) sequential peer | `simulate_mirror(out, [symbol], day, 1, trades_per_day=...)` per listed symbol in turn |

(b) is the writer the demo used before, one symbol at a time: it writes the same zips as (a), byte for byte.

Last line, machine-readable (seconds of (a), the peer's time over (a), trades per second of (a)):

    simulate: symbols=<n> trades=<t> seconds=<s> vs_sequential=<r> trades_per_s=<x>

`--smoke`: 20 symbols, 20,000 trades (checks the path, measures nothing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

from _smoke import parse_args

from binance_assets.binance.sim_calendar import calendar, day_index
from binance_assets.binance.sim_universe import make_universe
from binance_assets.binance.simulator import simulate_mirror, simulate_universe_mirror


def day_trades(universe, day: dt.date) -> int:
    d = day_index(day)
    counts = (calendar(universe.seed, s.symbol, s.trades_per_day).trade_counts[d] for s in universe.listed_on(day))
    return int(sum(counts))


def calibrated(symbols: int, trades: int, day: dt.date, seed: int):
    """The universe whose symbols listed on `day` trade about `trades` trades that day."""
    total = trades
    for _ in range(3):
        universe = make_universe(symbols, start=day, seed=seed, names=["BTCUSDT", "ETHUSDT"], total_trades=total)
        total = max(1, round(total * trades / day_trades(universe, day)))
    return make_universe(symbols, start=day, seed=seed, names=["BTCUSDT", "ETHUSDT"], total_trades=total)


def cpu_seconds() -> float:
    """User + system CPU of this process, every thread (on a shared machine wall time also counts the others)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(rows: list, name: str, work) -> object:
    began, cpu = time.perf_counter(), cpu_seconds()
    result = work()
    rows.append((name, time.perf_counter() - began, cpu_seconds() - cpu))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=200)
    parser.add_argument("--trades", type=int, default=2_000_000)
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2025, 1, 1))
    parser.add_argument("--seed", type=int, default=7)
    args = parse_args(parser, symbols=20, trades=20_000)
    universe = calibrated(args.symbols, args.trades, args.day, args.seed)
    listed = universe.listed_on(args.day)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        done = timed(rows, "(a) universe", lambda: simulate_universe_mirror(root / "a", universe, args.day, 1))
        fast = timed(rows, "(a1) universe, level 1",
                     lambda: simulate_universe_mirror(root / "a1", universe, args.day, 1, compresslevel=1))
        timed(rows, "(b) sequential peer", lambda: [
            simulate_mirror(root / "b", [s.symbol], args.day, 1, seed=universe.seed, trades_per_day=s.trades_per_day)
            for s in listed
        ])
        same = all((root / "b" / p.relative_to(root / "a")).read_bytes() == p.read_bytes() for p in done.files)
        size = sum(p.stat().st_size for p in done.files) / 1e6
        fast_size = sum(p.stat().st_size for p in fast.files) / 1e6
    top = max(s.trades_per_day for s in listed)
    print(f"{len(universe)} symbols, {len(listed)} listed on {args.day}, {done.trades:,} trades "
          f"(top symbol ~{top:,}/day, median ~{sorted(s.trades_per_day for s in listed)[len(listed) // 2]:,}); "
          f"zips {size:.1f} MB at level 6, {fast_size:.1f} MB at level 1; (b) wrote identical bytes: {same}")
    print(f"{'path':<26}{'seconds':>10}{'cpu_s':>10}{'trades/s':>14}")
    for name, seconds, cpu in rows:
        print(f"{name:<26}{seconds:>10.2f}{cpu:>10.2f}{done.trades / seconds:>14,.0f}")
    seconds = rows[0][1]
    print(f"simulate: symbols={len(universe)} trades={done.trades} seconds={seconds:.2f} "
          f"vs_sequential={rows[2][1] / seconds:.2f} trades_per_s={done.trades / seconds:.0f}")
    if not same:
        raise SystemExit("the sequential peer wrote different bytes")


if __name__ == "__main__":
    main()
