"""One day's archive files of many symbols, loaded in parallel inside one run. No Dagster here.

Each file goes through the same write-audit-publish as `load.load_partition`, split where the work is:

* fetch, verify, parse and audit (`load.prepare_partition`) run in a bounded pool of threads: pyarrow's CSV
  parser and compute kernels, the inflater and sha256 release the GIL, so they use the cores in parallel;
  they touch no warehouse;
* publishing (`load.finish_partition`: one transaction per (day, symbol), or the quarantine of a refused
  file) is done by the calling thread alone, one file after the other, on one held warehouse connection
  (`Warehouse.hold`): DuckDB has one writer per file anyway.

Memory is bounded: at most `window` files (default: workers + 1) are parsed or waiting to be published at any
time, so a day of thousands of symbols holds a few files' rows, never the day's. Results come back in the
order the files finish, each as (symbol, `PartitionLoad`) or (symbol, the `BinanceDataError` it raised:
`ArchiveNotYetAvailable`, a bad checksum, an unreadable file). Any other error (a warehouse failure, a bug)
stops the day and is raised, after the files already published stay published (each was its own transaction).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.binance.errors import BinanceDataError
from binance_assets.ingestion.load import PartitionLoad, PreparedPartition, finish_partition, prepare_partition
from binance_assets.warehouse import RawTable, Warehouse

SymbolOutcome = tuple[str, PartitionLoad | BinanceDataError]


def default_workers() -> int:
    """Parsing threads: the cores, at most 4 (the writer is the calling thread)."""
    return max(1, min(4, os.cpu_count() or 1))


def load_day(
    client: ArchiveClient,
    warehouse: Warehouse,
    raw_table: RawTable,
    day: dt.date,
    symbols: Iterable[str],
    *,
    workers: int | None = None,
    window: int | None = None,
) -> Iterator[SymbolOutcome]:
    """Load `symbols`' files of `day` into `raw_table` (see the module docstring); yields one outcome per
    symbol as its file is published or refused."""
    workers = default_workers() if workers is None else max(1, workers)
    window = workers + 1 if window is None else max(1, window)
    pending_symbols = iter(symbols)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"load-{raw_table.name}") as pool, \
            warehouse.hold():  # fmt: skip
        running: dict[Future[PreparedPartition], str] = {}

        def submit_next() -> None:
            symbol = next(pending_symbols, None)
            if symbol is not None:
                running[pool.submit(prepare_partition, client, raw_table, day, symbol)] = symbol

        for _ in range(window):
            submit_next()
        try:
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: running[f]):
                    symbol = running.pop(future)
                    submit_next()  # keep the pool busy while this file is published
                    try:
                        prepared = future.result()
                    except BinanceDataError as exc:
                        yield symbol, exc
                        continue
                    load = finish_partition(client, warehouse, raw_table, day, symbol, prepared)
                    del prepared
                    yield symbol, load
        finally:
            for future in running:
                future.cancel()


__all__ = ["SymbolOutcome", "default_workers", "load_day"]
