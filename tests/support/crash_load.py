"""Run one raw load (write-audit-publish) in its own process, for the SIGKILL tests.

    python crash_load.py <duckdb|postgres> <duckdb path | postgres url> <mirror> <work dir> <table> <day> <symbol>

The test sets `BINANCE_ASSETS_PAUSE_AT=<point>:<marker>` so that this process stops at that point.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.ingestion.load import load_partition
from binance_assets.warehouse import get_raw_table, make_warehouse


def main(kind: str, target: str, mirror: str, work: str, table: str, day: str, symbol: str) -> None:
    warehouse = make_warehouse(kind, duckdb_path=target, postgres_url=target)
    client = ArchiveClient(base_url=mirror, download_dir=Path(work) / "downloads", quarantine_dir=Path(work) / "q")
    load = load_partition(client, warehouse, get_raw_table(table), dt.date.fromisoformat(day), symbol)
    print(f"published={load.published} rows={load.rows} version={load.version}")


if __name__ == "__main__":
    main(*sys.argv[1:])
