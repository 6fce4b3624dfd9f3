"""Which partitions are "the latest": per symbol, the newest day in `raw.load_log`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from binance_assets.lib.partitions import DaySymbol
from binance_assets.warehouse import Warehouse
from binance_assets.warehouse.load_log import LOAD_LOG


def latest_partitions(warehouse: Warehouse, symbols: Sequence[str] | None = None, days: int = 1) -> list[DaySymbol]:
    """The (day, symbol) partitions of the `days` newest loaded days of each symbol (current load_log
    versions), oldest first. `symbols` limits them (None: every symbol in the load_log)."""
    latest = warehouse.query(
        f"SELECT symbol, max(trade_date) AS day FROM {LOAD_LOG} WHERE superseded_at IS NULL GROUP BY symbol"
    )
    wanted = {s.upper() for s in symbols} if symbols else None
    parts = []
    for row in latest.itertuples():
        if wanted is not None and row.symbol not in wanted:
            continue
        newest = row.day if isinstance(row.day, dt.date) else dt.date.fromisoformat(str(row.day)[:10])
        parts += [DaySymbol(newest - dt.timedelta(days=back), row.symbol) for back in range(days)]
    return sorted(parts, key=lambda p: (p.day, p.symbol))
