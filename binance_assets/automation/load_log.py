"""What the poller reads from `raw.load_log`: the last fully loaded day per symbol.

The sha256 of a partition's current version is the warehouse's own `Warehouse.loaded_sha256`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from binance_assets.binance.schema import Market
from binance_assets.warehouse import Warehouse
from binance_assets.warehouse.tables import LOAD_LOG_TABLE, RAW_SCHEMA, RAW_TABLES


def last_loaded_days(warehouse: Warehouse, symbols: Sequence[str], market: Market = Market.SPOT) -> dict[str, date]:
    """Per symbol, the last day whose raw tables of `market` (the poller's: spot) are all in `raw.load_log`."""
    if not symbols:
        return {}
    tables = [name for name, table in RAW_TABLES.items() if table.dataset.market is market]
    sql = (
        f"SELECT symbol, max(trade_date) AS last_day FROM ("
        f" SELECT symbol, trade_date FROM {RAW_SCHEMA}.{LOAD_LOG_TABLE}"
        f" WHERE table_name IN ({', '.join('?' * len(tables))}) AND symbol IN ({', '.join('?' * len(symbols))})"
        f" GROUP BY symbol, trade_date HAVING count(DISTINCT table_name) = {len(tables)}"
        f") AS complete_days GROUP BY symbol"
    )
    frame = warehouse.query(sql, [*tables, *symbols])
    out: dict[str, date] = {}
    for symbol, last_day in zip(frame["symbol"], frame["last_day"], strict=True):
        if last_day is None or last_day != last_day:  # None / NaT
            continue
        out[str(symbol)] = _as_date(last_day)
    return out


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "date"):  # pandas Timestamp
        return value.date()
    return date.fromisoformat(str(value))
