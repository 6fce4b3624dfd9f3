"""Which landed archives the landing sensor turns into runs: one run per day with newly landed files.

No Dagster imports. A landed file is skipped when the warehouse already holds that exact file: its sha256
(from its CHECKSUM) equals the one `raw.load_log` recorded for its (table, day, symbol). So switching the
sensor on over a mirror the demo (or a backfill) already loaded requests nothing, while a replaced archive
(new checksum) is loaded again. The files of one partition found in the same tick (a day's three archives
landing together) make one run, which loads them one after the other under the `warehouse` pool: one run
start instead of three, and no run queued behind its siblings. A load is `complete` when, after it, every
raw table holds the partition: only then may the same run build what is downstream.

    loads, skipped = plan_partition_loads(files, loaded_sha256)   # per (day, symbol)
    runs = day_runs(loads)                                        # per day: the run requests

A day's run loads exactly the files that landed (each raw table the symbols whose file landed, by run
config) and scopes what is downstream to those symbols (run tag `binance/symbols`): a late or replaced file
costs that file, not the day's universe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from binance_assets.automation.landing import LandedFile
from binance_assets.lib.scope import bars_inputs_of
from binance_assets.warehouse.tables import RAW_TABLES

# (raw table name, day, symbol) -> the sha256 of the archive loaded into that partition, or None.
LoadedSha256 = Callable[[str, date, str], "str | None"]


@dataclass(frozen=True)
class PartitionLoad:
    """The newly landed files of one (day, symbol) partition that the warehouse does not hold yet."""

    day: date
    symbol: str
    files: tuple[LandedFile, ...]  # at most one per raw table, in table order
    complete: bool = False  # after this load the bars' inputs (trades, klines) are there (downstream may build)

    @property
    def tables(self) -> list[str]:
        return [f.raw_table.name for f in self.files]

    @property
    def run_key(self) -> str:
        """Stable for the same files with the same checksums: a lost cursor never loads them twice."""
        versions = "\n".join(f"{f.relative_path}@{f.sha256}" for f in self.files)
        return f"{self.day.isoformat()}|{self.symbol}|{hashlib.sha256(versions.encode()).hexdigest()[:16]}"


def plan_partition_loads(
    files: Iterable[LandedFile], loaded_sha256: LoadedSha256
) -> tuple[list[PartitionLoad], list[LandedFile]]:
    """(one load per partition with new files, the files skipped because the warehouse holds them already).

    Of several versions of the same archive in one batch the latest landed wins.
    """
    latest: dict[tuple[date, str, str], LandedFile] = {}
    for landed in sorted(files, key=lambda f: f.landed_at_ns):
        latest[(landed.day, landed.symbol, landed.raw_table.name)] = landed
    order = {name: i for i, name in enumerate(RAW_TABLES)}
    by_partition: dict[tuple[date, str], list[LandedFile]] = {}
    skipped: list[LandedFile] = []
    for (day, symbol, table), landed in sorted(latest.items(), key=lambda item: (item[0][:2], order[item[0][2]])):
        if loaded_sha256(table, day, symbol) == landed.sha256:
            skipped.append(landed)
        else:
            by_partition.setdefault((day, symbol), []).append(landed)
    loads = []
    for (day, symbol), group in sorted(by_partition.items()):
        # Complete once the bars' inputs (trades and klines) are there: what is downstream can be built
        # (lib.scope.complete_symbols); the aggTrades file, when it lands, runs what is downstream of it.
        names = {f.raw_table.name for f in group}
        missing = bars_inputs_of(names) - names
        complete = all(loaded_sha256(table, day, symbol) is not None for table in sorted(missing))
        loads.append(PartitionLoad(day, symbol, tuple(group), complete))
    return loads, skipped


@dataclass(frozen=True)
class DayRun:
    """The newly landed files of one day, every symbol: one run."""

    day: date
    loads: tuple[PartitionLoad, ...]

    @property
    def files(self) -> list[LandedFile]:
        return [f for load in self.loads for f in load.files]

    @property
    def symbols(self) -> list[str]:
        return sorted({load.symbol for load in self.loads})

    @property
    def tables(self) -> list[str]:
        order = list(RAW_TABLES)
        return sorted({t for load in self.loads for t in load.tables}, key=order.index)

    def symbols_by_table(self) -> dict[str, list[str]]:
        """Each raw table: the symbols whose file of it landed (what the table's step loads)."""
        out: dict[str, list[str]] = {}
        for load in self.loads:
            for table in load.tables:
                out.setdefault(table, []).append(load.symbol)
        return {table: sorted(symbols) for table, symbols in out.items()}

    @property
    def complete(self) -> bool:
        """After this run every raw table holds every symbol of it: downstream may build in the same run."""
        return all(load.complete for load in self.loads)

    @property
    def run_key(self) -> str:
        """Stable for the same files with the same checksums: a lost cursor never loads them twice."""
        versions = "\n".join(sorted(load.run_key for load in self.loads))
        return f"{self.day.isoformat()}|{hashlib.sha256(versions.encode()).hexdigest()[:16]}"


def day_runs(loads: Iterable[PartitionLoad]) -> list[DayRun]:
    """The (day, symbol) loads grouped into one run per day, oldest day first."""
    by_day: dict[date, list[PartitionLoad]] = {}
    for load in loads:
        by_day.setdefault(load.day, []).append(load)
    return [DayRun(day, tuple(sorted(group, key=lambda load: load.symbol))) for day, group in sorted(by_day.items())]
