"""pr.yml's dbt job: simulate a few days and load them into the PostgreSQL warehouse the pipeline's way
(`load_partition`: write, audit, publish), so that `dbt build --target ci` has its sources (raw.*).

Settings come from the environment (BINANCE_ASSETS_ENV=ci, BINANCE_ASSETS_POSTGRES_URL, ...).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.ingestion.load import load_partition
from binance_assets.settings import get_settings, postgres_connection_url
from binance_assets.warehouse import RAW_TABLES, make_warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--trades-per-day", type=int, default=2000)
    args = parser.parse_args()
    settings = get_settings()
    warehouse = make_warehouse("postgres", postgres_url=postgres_connection_url(settings))
    warehouse.ensure_schema()
    days = [settings.start_date + dt.timedelta(days=i) for i in range(args.days)]
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        simulate_mirror(root / "mirror", settings.symbols, days[0], args.days, seed=settings.sim_seed,
                        trades_per_day=args.trades_per_day)
        client = ArchiveClient(str(root / "mirror"), root / "downloads", root / "quarantine")
        for day in days:
            for symbol in settings.symbols:
                for table in RAW_TABLES.values():
                    load = load_partition(client, warehouse, table, day, symbol)
                    if not load.published:
                        raise SystemExit(f"{table.name} {symbol} {day} was not published: {load.rejection}")
                    print(f"{table.name} {symbol} {day}: {load.rows} rows")


if __name__ == "__main__":
    main()
