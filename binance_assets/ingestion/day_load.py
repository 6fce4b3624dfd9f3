"""One day's archive files of many symbols, loaded in parallel inside one run. No Dagster here.

Each file goes through the same write-audit-publish as `load.load_partition`, split where the work is:

* fetch, verify, parse and audit (`load.prepare_partition`) run in a bounded pool of threads: pyarrow's CSV
  parser and compute kernels, the inflater and sha256 release the GIL, so they use the cores in parallel;
  they touch no warehouse;
* publishing (`load.finish_partitions`: the files parsed meanwhile, once they hold half the byte budget or
  nothing else is coming, up to `MAX_GROUP`, in one transaction, each (day, symbol) replaced whole; a
  refused file quarantined) is done by the calling thread alone, on one
  held warehouse connection (`Warehouse.hold`): DuckDB has one writer per file anyway. A day's many small
  files cost a few statements per group, not a transaction each.

Memory is bounded: files are started while the zip bytes parsed or waiting stay under `in_flight_bytes`
(always at least one file) and their count under `MAX_IN_FLIGHT`, so a day of thousands of symbols holds a
few files' rows, never the day's. Results come back in the
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
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.ingestion.load import PartitionLoad, PreparedPartition, finish_partitions, prepare_partition
from binance_assets.warehouse import RawTable, Warehouse

SymbolOutcome = tuple[str, PartitionLoad | BinanceDataError]


def default_workers() -> int:
    """Parsing threads: the cores, at most 4 (the writer is the calling thread)."""
    return max(1, min(4, os.cpu_count() or 1))


IN_FLIGHT_BYTES = 48 << 20  # zip bytes parsed or waiting at a time (their rows take ~2-3x that in Arrow)
MAX_IN_FLIGHT = 512  # files parsed or waiting at a time
MAX_GROUP = 256  # files published in one transaction


def load_day(
    client: ArchiveClient,
    warehouse: Warehouse,
    raw_table: RawTable,
    day: dt.date,
    symbols: Iterable[str],
    *,
    workers: int | None = None,
    in_flight_bytes: int = IN_FLIGHT_BYTES,
) -> Iterator[SymbolOutcome]:
    """Load `symbols`' files of `day` into `raw_table` (see the module docstring); yields one outcome per
    symbol as its file is published or refused."""
    workers = default_workers() if workers is None else max(1, workers)
    pending = list(dict.fromkeys(symbols))
    pending.reverse()  # pop() from the end: the symbols' order
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"load-{raw_table.name}") as pool, \
            warehouse.hold():  # fmt: skip
        running: dict[Future[PreparedPartition], tuple[str, int]] = {}
        ready: list[tuple[str, PreparedPartition, int]] = []  # parsed and audited, waiting to be published

        def held() -> int:
            return sum(b for _, b in running.values()) + sum(b for _, _, b in ready)

        def fill() -> None:
            """Start files while the budget allows (always one when nothing is held, however big)."""
            while pending and len(running) + len(ready) < MAX_IN_FLIGHT:
                size = _zip_size(client, raw_table, day, pending[-1])
                if (running or ready) and held() + size > in_flight_bytes:
                    return
                symbol = pending.pop()
                running[pool.submit(prepare_partition, client, raw_table, day, symbol)] = (symbol, size)

        fill()
        try:
            while running or ready:
                if running:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in sorted(done, key=lambda f: running[f][0]):
                        symbol, size = running.pop(future)
                        try:
                            ready.append((symbol, future.result(), size))
                        except BinanceDataError as exc:
                            yield symbol, exc
                    fill()
                # Publish once half the budget is waiting (or nothing else will come): a commit costs more than
                # the rows it carries, so fewer, larger groups; the pool keeps parsing meanwhile.
                waiting = sum(b for _, _, b in ready)
                if ready and (not running or len(ready) >= MAX_GROUP or waiting * 2 >= in_flight_bytes):
                    group, ready[:] = ready[:MAX_GROUP], ready[MAX_GROUP:]
                    fill()
                    loads = finish_partitions(client, warehouse, raw_table, day, [(s, p) for s, p, _ in group])
                    yield from zip([s for s, _, _ in group], loads, strict=True)
                    del group
        finally:
            for future in running:
                future.cancel()


def _zip_size(client: ArchiveClient, raw_table: RawTable, day: dt.date, symbol: str) -> int:
    """The size of a mirror's zip (0 when unknown: a download, or not there)."""
    if client.mirror is None:
        return 0
    try:
        return (client.mirror / ArchiveSpec.daily(raw_table.dataset, symbol, day).relative_path).stat().st_size
    except (OSError, ValueError):
        return 0


__all__ = ["SymbolOutcome", "default_workers", "load_day"]
