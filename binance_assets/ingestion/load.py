"""Archive -> checked -> warehouse for one (table, day, symbol) partition. No Dagster here.

The Dagster asset, the CLI and the benchmark all call `load_partition`, so they measure and run the
same path: fetch and verify the zip, parse it, refuse structurally bad data (the client raises), then
replace the warehouse partition whole in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow.compute as pc

from binance_assets.binance.archive_client import ArchiveClient, LoadedArchive
from binance_assets.binance.schema import ID_COLUMN, TIME_COLUMN
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.warehouse import LoadRecord, RawTable, Warehouse


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


def summarize(loaded: LoadedArchive) -> dict:
    """Row count, id range and time span of a parsed archive."""
    contents = loaded.contents
    table = contents.table
    id_column = ID_COLUMN[contents.kind]
    times = table.column(TIME_COLUMN[contents.kind])
    ids = table.column(id_column) if id_column else None
    return {
        "rows": table.num_rows,
        "first_id": pc.min(ids).as_py() if ids is not None else None,
        "last_id": pc.max(ids).as_py() if ids is not None else None,
        "first_time": pc.min(times).as_py(),
        "last_time": pc.max(times).as_py(),
    }


def load_partition(
    client: ArchiveClient, warehouse: Warehouse, raw_table: RawTable, day: dt.date, symbol: str
) -> PartitionLoad:
    """Load one day of one symbol into `raw_table`, replacing that partition in one transaction.

    Raises the client's specific `BinanceDataError`s (the partition is then left as it was, the
    offending file kept in quarantine); `ArchiveNotYetAvailable` means the day is not published yet.
    """
    loaded = client.load(ArchiveSpec(symbol=symbol, kind=raw_table.kind, day=day))
    stats = summarize(loaded)
    record = LoadRecord(
        source_url=loaded.fetched.url,
        sha256=loaded.fetched.sha256,
        first_id=stats["first_id"],
        last_id=stats["last_id"],
        first_time=stats["first_time"],
        last_time=stats["last_time"],
    )
    rows = warehouse.replace_partition(raw_table.name, symbol, day, loaded.contents.table, record)
    return PartitionLoad(
        table=raw_table.name,
        symbol=symbol,
        day=day,
        rows=rows,
        first_id=stats["first_id"],
        last_id=stats["last_id"],
        first_time=stats["first_time"],
        last_time=stats["last_time"],
        timestamp_unit=loaded.contents.timestamp_unit,
        source_url=loaded.fetched.url,
        sha256=loaded.fetched.sha256,
    )
