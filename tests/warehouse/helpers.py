"""Small hand-made canonical tables, and the worker the multi-process DuckDB test spawns.

Importable as `warehouse.helpers` (pytest puts `tests/` on sys.path; spawned children inherit it).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa

from binance_assets.binance.schema import AGG_TRADES_SCHEMA, KLINES_SCHEMA, TRADES_SCHEMA
from binance_assets.warehouse import DuckDBWarehouse, LoadRecord

DAY = dt.date(2025, 1, 1)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def trades(n: int = 6, *, start_id: int = 1_000, day: dt.date = DAY, price0: float = 95_000.12) -> pa.Table:
    """`n` spot trades of `day`, µs-precise times, `is_best_match` with NULLs in it."""
    base = _midnight(day)
    best = [True, None, False]
    rows = {
        "trade_id": [start_id + i for i in range(n)],
        "price": [price0 + i * 0.01 for i in range(n)],
        "qty": [0.00012 * (i + 1) for i in range(n)],
        "quote_qty": [(price0 + i * 0.01) * 0.00012 * (i + 1) for i in range(n)],
        "trade_time": [base + dt.timedelta(microseconds=1 + i * 1_234_567_891 % 86_399_000_000) for i in range(n)],
        "is_buyer_maker": [i % 2 == 0 for i in range(n)],
        "is_best_match": [best[i % 3] for i in range(n)],
    }
    table = pa.table(rows, schema=TRADES_SCHEMA)
    return table.sort_by("trade_id")


def agg_trades(n: int = 5, *, start_id: int = 500, day: dt.date = DAY) -> pa.Table:
    base = _midnight(day)
    return pa.table(
        {
            "agg_trade_id": [start_id + i for i in range(n)],
            "price": [3_300.5 + i / 8 for i in range(n)],
            "qty": [1.5 * (i + 1) for i in range(n)],
            "first_trade_id": [10 * i for i in range(n)],
            "last_trade_id": [10 * i + 9 for i in range(n)],
            "trade_time": [base + dt.timedelta(seconds=i * 61, microseconds=999_999 - i) for i in range(n)],
            "is_buyer_maker": [i % 3 == 0 for i in range(n)],
            "is_best_match": [None if i == 1 else True for i in range(n)],
        },
        schema=AGG_TRADES_SCHEMA,
    )


def klines(n: int = 4, *, day: dt.date = DAY) -> pa.Table:
    base = _midnight(day)
    return pa.table(
        {
            "open_time": [base + dt.timedelta(minutes=i) for i in range(n)],
            "open": [100.0 + i for i in range(n)],
            "high": [101.25 + i for i in range(n)],
            "low": [99.5 + i for i in range(n)],
            "close": [100.75 + i for i in range(n)],
            "volume": [12.345678 * (i + 1) for i in range(n)],
            "close_time": [base + dt.timedelta(minutes=i + 1, microseconds=-1) for i in range(n)],
            "quote_volume": [1234.5678 * (i + 1) for i in range(n)],
            "trade_count": [17 * (i + 1) for i in range(n)],
            "taker_buy_base_volume": [6.1 * (i + 1) for i in range(n)],
            "taker_buy_quote_volume": [617.3 * (i + 1) for i in range(n)],
        },
        schema=KLINES_SCHEMA,
    )


FEATURES_SCHEMA = pa.schema(
    [
        ("symbol", pa.string()),
        ("trade_date", pa.date32()),
        ("minute", pa.timestamp("us")),
        ("close", pa.float64()),
        ("trades", pa.int64()),
        ("is_up", pa.bool_()),
        ("regime", pa.string()),
        ("as_of", pa.date32()),
    ]
)


def features(n: int = 5, *, symbol: str = "BTCUSDT", day: dt.date = DAY, close0: float = 100.0) -> pa.Table:
    """`n` rows of a derived (feature) table for partition (symbol, day): one per minute, µs times,
    NULLs in every column but the partition columns and `minute`."""
    base = _midnight(day)
    regimes = ["calm", None, "", "tempête ⚡"]
    return pa.table(
        {
            "symbol": [symbol] * n,
            "trade_date": [day] * n,
            "minute": [base + dt.timedelta(minutes=i, microseconds=7 * i) for i in range(n)],
            "close": [None if i % 4 == 1 else close0 + i / 3 for i in range(n)],
            "trades": [None if i % 3 == 2 else 10 * i for i in range(n)],
            "is_up": [[True, False, None][i % 3] for i in range(n)],
            "regime": [regimes[i % 4] for i in range(n)],
            "as_of": [None if i == 0 else day - dt.timedelta(days=i) for i in range(n)],
        },
        schema=FEATURES_SCHEMA,
    )


TABLE_DATA = {"spot_trades": trades, "spot_agg_trades": agg_trades, "spot_klines_1m": klines,
              "um_trades": trades, "um_agg_trades": agg_trades, "um_klines_1m": klines}  # same layouts


def sample(table: str, **kwargs) -> pa.Table:
    return TABLE_DATA[table](**kwargs)


def load(url: str = "file:///mirror/x.zip", sha: str = "ab" * 32) -> LoadRecord:
    return LoadRecord(source_url=url, sha256=sha)


def replace_many(path: str, symbol: str, days: list[str], repeats: int) -> list[int]:
    """Worker of the multi-process test: replace `days` of `symbol` `repeats` times each, reading
    between writes. Row counts change with every repeat; the last repeat writes `10 + len(days)`."""
    warehouse = DuckDBWarehouse(Path(path), lock_timeout=120)
    counts = []
    for r in range(repeats):
        for k, day in enumerate(days):
            n = 10 + k if r == repeats - 1 else 3 + (r % 5) + k
            data = trades(n, start_id=r * 1_000, day=dt.date.fromisoformat(day))
            counts.append(warehouse.replace_partition("spot_trades", symbol, day, data, load(sha=f"{r:064d}")))
            counts.append(warehouse.partition_row_count("spot_trades", symbol, day))
    return counts


def hold_foreign_connection(path: str, opened, seconds: float) -> None:
    """Open the DuckDB file WITHOUT the warehouse's lock (like a stray CLI session) for a while."""
    import time

    import duckdb

    con = duckdb.connect(path)
    opened.set()
    time.sleep(seconds)
    con.close()


def opened_by_a_new_process(warehouse):
    """The same database as a process that never saw it would open it: a DuckDB file is copied (this process
    remembers which files' schemas it has ensured), PostgreSQL is connected to again."""
    if warehouse.engine != "duckdb":
        return type(warehouse)(warehouse.url)
    copy = warehouse.path.with_name("copied.duckdb")
    shutil.copyfile(warehouse.path, copy)
    return type(warehouse)(copy)
