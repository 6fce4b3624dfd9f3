"""Archive -> audited -> published, for one (table, day, symbol) partition. No Dagster here.

Every write of a raw partition goes through write-audit-publish: the archive loader `load_partition`
below, the REST gap-fill (`gapfill_load.gapfill_partition`) and the day loader (`day_load.load_day`). The
Dagster asset, the CLI and the benchmarks call these, so they measure and run the same path:

1. (archives) fetch and verify the zip, parse it (the client raises a specific `BinanceDataError` for
   a file it cannot read; the sha256 recorded is that of the bytes parsed);
2. audit the rows where they are, in Arrow (`audit_rows`: conformed to the table's columns and types, then
   the blocking checks `rules.blocking_checks`, the pandera model evaluated vectorised, and unique ids);
   nothing is written before this;
3. all passed: publish (`Warehouse.publish_partition`: delete old rows, insert the audited ones, load_log
   version, in ONE transaction), then run the non-blocking `id_continuity`; any failed: do not publish (an
   archive is quarantined) and return the outcomes with `published=False` (the caller reports and fails).

Steps 1-2 touch no warehouse (`prepare_partition`), so the day loader runs them for many files at once in
threads while one writer publishes (`finish_partition`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from binance_assets.binance.archive_client import ArchiveClient, LoadedArchive
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.ingestion.rules import CheckOutcome, blocking_checks, continuity_check, rejection_message
from binance_assets.warehouse import LoadRecord, RawTable, Warehouse
from binance_assets.warehouse.conform import conform_data
from binance_assets.warehouse.load_log import PartitionStats, compute_stats
from binance_assets.warehouse.staging import pause_point


@dataclass(frozen=True)
class AuditedRows:
    """A partition's rows, conformed to its table and checked by the blocking checks; nothing written yet."""

    data: pa.Table
    stats: PartitionStats
    checks: tuple[CheckOutcome, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


@dataclass(frozen=True)
class AuditedPublish:
    """What write-audit-publish did with one partition's rows."""

    stats: PartitionStats  # of the audited rows
    published: bool
    checks: tuple[CheckOutcome, ...]
    version: int | None = None  # the load_log version now current (None if not published)

    @property
    def rejection(self) -> str:
        """What the failed blocking checks found (empty if published)."""
        return rejection_message(list(self.checks))


def audit_rows(raw_table: RawTable, day: dt.date, symbol: str, data: pa.Table) -> AuditedRows:
    """`data` conformed to `raw_table` (bad columns: `PartitionDataError`) and checked as partition (symbol,
    day) by the blocking checks, on the Arrow rows."""
    data = conform_data(raw_table, data)
    checks = blocking_checks(raw_table, data, symbol=symbol, day=day)
    stats = compute_stats(raw_table, data)
    # Give the parser's and the checks' freed buffers back to the OS before the warehouse (whose own allocator
    # cannot reuse them) takes its share: the peak memory of a big file is the rows plus one of the two.
    pa.default_memory_pool().release_unused()
    pause_point("audited")
    return AuditedRows(data, stats, tuple(checks))


def publish_rows(
    warehouse: Warehouse,
    raw_table: RawTable,
    day: dt.date,
    symbol: str,
    rows: AuditedRows,
    record: LoadRecord,
    *,
    before_publish: Callable[[], None] | None = None,
) -> AuditedPublish:
    """Publish audited `rows` as partition (symbol, day) if every blocking check passed, else nothing (see the
    module docstring). `before_publish()` runs after the audit passed, before the swap (the gap-fill writes
    its REST copy there)."""
    if rows.passed and before_publish is not None:
        before_publish()
    (audit,) = publish_many(warehouse, raw_table, day, [(symbol, rows, record)])
    return audit


def publish_many(
    warehouse: Warehouse, raw_table: RawTable, day: dt.date, files: list[tuple[str, AuditedRows, LoadRecord]]
) -> list[AuditedPublish]:
    """`publish_rows` for several symbols' audited rows of one day: those that passed are published together in
    ONE transaction (each partition replaced whole: `Warehouse.publish_partitions`), the others not at all."""
    passed = [(symbol, rows, record) for symbol, rows, record in files if rows.passed]
    published = warehouse.publish_partitions(raw_table, day, [(s, rows.data, record) for s, rows, record in passed])
    versions = {symbol: p.version for (symbol, _, _), p in zip(passed, published, strict=True)}
    previous: dict[str, dict] = {}
    if raw_table.id_column is not None and passed:
        previous = warehouse.load_logs(raw_table.name, day - dt.timedelta(days=1), [s for s, _, _ in passed])
    audits = []
    for symbol, rows, _ in files:
        checks = list(rows.checks)
        if not rows.passed:
            audits.append(AuditedPublish(rows.stats, False, tuple(checks)))
            continue
        if raw_table.id_column is not None:
            previous_last_id = previous[symbol].get("last_id") if symbol in previous else None
            checks.append(continuity_check(rows.data.column(raw_table.id_column), previous_last_id))
        audits.append(AuditedPublish(rows.stats, True, tuple(checks), versions[symbol]))
    return audits


def publish_audited(
    warehouse: Warehouse,
    raw_table: RawTable,
    day: dt.date,
    symbol: str,
    data: pa.Table,
    record: LoadRecord,
    *,
    before_publish: Callable[[], None] | None = None,
) -> AuditedPublish:
    """Audit `data` as partition (symbol, day) of `raw_table` and publish it only if every blocking check
    passed: `audit_rows`, then `publish_rows`."""
    rows = audit_rows(raw_table, day, symbol, data)
    return publish_rows(warehouse, raw_table, day, symbol, rows, record, before_publish=before_publish)


@dataclass(frozen=True)
class PartitionLoad:
    table: str
    symbol: str
    day: dt.date
    rows: int
    first_id: int | None
    last_id: int | None
    first_time: dt.datetime | None
    last_time: dt.datetime | None
    timestamp_unit: str
    source_url: str
    sha256: str
    published: bool
    checks: tuple[CheckOutcome, ...]
    version: int | None = None  # the load_log version now current (None if not published)
    quarantined_to: str | None = None

    @property
    def rejection(self) -> str:
        """What the failed blocking checks found (empty if published)."""
        return rejection_message(list(self.checks))

    @property
    def stats(self) -> PartitionStats:
        return PartitionStats(self.rows, self.first_id, self.last_id, self.first_time, self.last_time)


@dataclass(frozen=True)
class PreparedPartition:
    """An archive fetched, verified, parsed and audited: ready to publish or refuse. No warehouse touched."""

    loaded: LoadedArchive
    rows: AuditedRows


def prepare_partition(client: ArchiveClient, raw_table: RawTable, day: dt.date, symbol: str) -> PreparedPartition:
    """Steps 1-2 of the module docstring for one file (safe to run in a thread: no warehouse access).

    Raises the client's specific `BinanceDataError`s (the offending file kept in quarantine);
    `ArchiveNotYetAvailable` means the day is not published yet.
    """
    loaded = client.load(ArchiveSpec.daily(raw_table.dataset, symbol, day))
    pause_point("parsed")
    return PreparedPartition(loaded, audit_rows(raw_table, day, symbol, loaded.contents.table))


def finish_partition(
    client: ArchiveClient, warehouse: Warehouse, raw_table: RawTable, day: dt.date, symbol: str,
    prepared: PreparedPartition,
) -> PartitionLoad:  # fmt: skip
    """Step 3: publish the prepared file's rows, or (a blocking check failed) quarantine the file."""
    (load,) = finish_partitions(client, warehouse, raw_table, day, [(symbol, prepared)])
    return load


def finish_partitions(
    client: ArchiveClient, warehouse: Warehouse, raw_table: RawTable, day: dt.date,
    prepared: list[tuple[str, PreparedPartition]],
) -> list[PartitionLoad]:  # fmt: skip
    """Step 3 for several symbols' prepared files of one day: the files that passed are published in one
    transaction (`publish_many`), each refused one is quarantined."""
    records = [
        LoadRecord(source_url=p.loaded.fetched.url, sha256=p.loaded.contents.sha256) for _, p in prepared
    ]
    files = [(symbol, p.rows, record) for (symbol, p), record in zip(prepared, records, strict=True)]
    audits = publish_many(warehouse, raw_table, day, files)
    return [
        _partition_load(client, raw_table, day, symbol, p, audit)
        for (symbol, p), audit in zip(prepared, audits, strict=True)
    ]


def _partition_load(
    client: ArchiveClient, raw_table: RawTable, day: dt.date, symbol: str, prepared: PreparedPartition,
    audit: AuditedPublish,
) -> PartitionLoad:  # fmt: skip
    loaded = prepared.loaded
    quarantined_to = None
    if not audit.published:
        reason = f"rejected by blocking checks, not published: {audit.rejection}"
        quarantined_to = str(client.quarantine(loaded.fetched, reason))
    stats = audit.stats
    return PartitionLoad(
        table=raw_table.name,
        symbol=symbol,
        day=day,
        rows=stats.rows,
        first_id=stats.first_id,
        last_id=stats.last_id,
        first_time=stats.first_time,
        last_time=stats.last_time,
        timestamp_unit=loaded.contents.timestamp_unit,
        source_url=loaded.fetched.url,
        sha256=loaded.contents.sha256,
        published=audit.published,
        checks=audit.checks,
        version=audit.version,
        quarantined_to=quarantined_to,
    )


def load_partition(
    client: ArchiveClient, warehouse: Warehouse, raw_table: RawTable, day: dt.date, symbol: str
) -> PartitionLoad:
    """Load one day of one symbol into `raw_table` by write-audit-publish (see the module docstring).

    Raises the client's specific `BinanceDataError`s (the partition is then left as it was, the
    offending file kept in quarantine); `ArchiveNotYetAvailable` means the day is not published yet.
    """
    prepared = prepare_partition(client, raw_table, day, symbol)
    # Not under `warehouse.hold()`: on DuckDB the publish's connection closing (and checkpointing) before the
    # load_log read keeps the peak memory ~20 MB lower; the extra connection costs a few ms.
    return finish_partition(client, warehouse, raw_table, day, symbol, prepared)
