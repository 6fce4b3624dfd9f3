"""Archive -> staged -> audited -> published, for one (table, day, symbol) partition. No Dagster here.

Every write of a raw partition goes through `publish_audited` (write, audit, publish): the archive
loader `load_partition` below, and the REST gap-fill (`gapfill_load.gapfill_partition`). The Dagster
asset, the CLI and the benchmarks call these, so they measure and run the same path:

1. (archives) fetch and verify the zip, parse it (the client raises a specific `BinanceDataError` for
   a file it cannot read; the sha256 recorded is that of the bytes parsed);
2. stage the rows (`Warehouse.stage_partition`: a staging table, the published one untouched);
3. run the blocking checks (`rules.blocking_checks`) on the staged rows as the database holds them;
4. all passed: publish (delete old rows, insert staged, load_log version, in ONE transaction), then
   run the non-blocking `id_continuity`; any failed: do not publish (an archive is quarantined) and
   return the outcomes with `published=False` (the caller reports them and fails).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.ingestion.rules import CheckOutcome, blocking_checks, continuity_check, rejection_message
from binance_assets.warehouse import LoadRecord, RawTable, Warehouse
from binance_assets.warehouse.load_log import PartitionStats
from binance_assets.warehouse.staging import pause_point


@dataclass(frozen=True)
class AuditedPublish:
    """What write-audit-publish did with one partition's rows."""

    stats: PartitionStats  # of the staged rows
    published: bool
    checks: tuple[CheckOutcome, ...]
    version: int | None = None  # the load_log version now current (None if not published)

    @property
    def rejection(self) -> str:
        """What the failed blocking checks found (empty if published)."""
        return rejection_message(list(self.checks))


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
    """Stage `data` as partition (symbol, day) of `raw_table`, run the blocking checks on the staged rows
    and publish them only if every one passed (see the module docstring). `before_publish()` runs after
    the audit passed, before the swap (the gap-fill writes its REST copy there)."""
    with warehouse.stage_partition(raw_table.name, symbol, day, data, record) as staged:
        frame = staged.read()
        checks = blocking_checks(raw_table, frame)
        published = all(c.passed for c in checks)
        if published:
            if before_publish is not None:
                before_publish()
            staged.publish()
    version = None
    if published:
        current = warehouse.load_log(raw_table.name, symbol, day)
        version = current["version"] if current else None
        if raw_table.id_column is not None:
            previous = warehouse.load_log(raw_table.name, symbol, day - dt.timedelta(days=1))
            previous_last_id = previous.get("last_id") if previous else None
            checks.append(continuity_check(frame[raw_table.id_column], previous_last_id))
    return AuditedPublish(staged.stats, published, tuple(checks), version)


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


def load_partition(
    client: ArchiveClient, warehouse: Warehouse, raw_table: RawTable, day: dt.date, symbol: str
) -> PartitionLoad:
    """Load one day of one symbol into `raw_table` by write-audit-publish (see the module docstring).

    Raises the client's specific `BinanceDataError`s (the partition is then left as it was, the
    offending file kept in quarantine); `ArchiveNotYetAvailable` means the day is not published yet.
    """
    loaded = client.load(ArchiveSpec.daily(raw_table.dataset, symbol, day))
    pause_point("parsed")
    record = LoadRecord(source_url=loaded.fetched.url, sha256=loaded.contents.sha256)
    audit = publish_audited(warehouse, raw_table, day, symbol, loaded.contents.table, record)
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
