"""Archive -> checked -> warehouse for one (table, day, symbol) partition. No Dagster here.

The Dagster asset, the CLI and the benchmark all call `load_partition`, so they measure and run the
same path: fetch and verify the zip, parse it, refuse structurally bad data (the client raises), then
replace the warehouse partition whole in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.warehouse import LoadRecord, RawTable, Warehouse
from binance_assets.warehouse.base import compute_stats


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


def load_partition(
    client: ArchiveClient, warehouse: Warehouse, raw_table: RawTable, day: dt.date, symbol: str
) -> PartitionLoad:
    """Load one day of one symbol into `raw_table`, replacing that partition in one transaction.

    Raises the client's specific `BinanceDataError`s (the partition is then left as it was, the
    offending file kept in quarantine); `ArchiveNotYetAvailable` means the day is not published yet.
    """
    loaded = client.load(ArchiveSpec(symbol=symbol, kind=raw_table.kind, day=day))
    # The warehouse derives rows, ids and times from the data and logs them with the partition.
    stats = compute_stats(raw_table, loaded.contents.table)
    record = LoadRecord(source_url=loaded.fetched.url, sha256=loaded.fetched.sha256)
    rows = warehouse.replace_partition(raw_table.name, symbol, day, loaded.contents.table, record)
    return PartitionLoad(
        table=raw_table.name,
        symbol=symbol,
        day=day,
        rows=rows,
        first_id=stats.first_id,
        last_id=stats.last_id,
        first_time=stats.first_time,
        last_time=stats.last_time,
        timestamp_unit=loaded.contents.timestamp_unit,
        source_url=loaded.fetched.url,
        sha256=loaded.fetched.sha256,
    )
