"""The API's data access: one warehouse reader per process (snapshots on DuckDB, transactions on PostgreSQL)
and the /api/v1 queries over the marts, the raw publish record and the ML tables."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from binance_api.settings import ApiConfig
from binance_assets.warehouse.snapshots import DuckDBSnapshotReader, PostgresReader
from binance_assets.warehouse.table_names import BARS_1M_TABLE, DATA_GAPS_TABLE, SYMBOL_DAILY_TABLE


class BadCursor(ValueError):
    pass


def make_reader(config: ApiConfig) -> DuckDBSnapshotReader | PostgresReader:
    if config.core.warehouse_kind == "duckdb":
        return DuckDBSnapshotReader(config.core.resolved_duckdb_path, config.snapshot_dir)
    from binance_assets.settings import postgres_connection_url

    return PostgresReader(  # the password from its secret env var
        postgres_connection_url(config.core), min_size=config.api.pg_pool_min_size,
        max_size=config.api.pg_pool_max_size,
    )


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, keys: tuple[str, ...]) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise BadCursor("cursor is not one this API returned") from None
    if not isinstance(value, dict) or set(value) != set(keys):
        raise BadCursor("cursor is not one this API returned")
    return value



def page(rows: list[dict], limit: int, key: str) -> tuple[list[dict], str | None]:
    """The first `limit` of `limit + 1` fetched rows and the cursor of the next page (None at the end)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1][key]
    return rows, encode_cursor({"after": last.isoformat() if hasattr(last, "isoformat") else last})


def bars(session, symbol: str, start: dt.datetime, end: dt.datetime, limit: int, cursor: str | None):
    after = start
    op = ">="
    if cursor:
        after = dt.datetime.fromisoformat(decode_cursor(cursor, ("after",))["after"])
        op = ">"
    rows = session.query(
        f"SELECT open_time, open, high, low, close, volume, quote_volume, trade_count, "
        f"taker_buy_base_volume, taker_buy_quote_volume, vwap FROM {BARS_1M_TABLE} "
        f"WHERE symbol = ? AND open_time {op} ? AND open_time < ? ORDER BY open_time LIMIT {int(limit) + 1}",
        [symbol, after, end],
    ).to_pylist()
    return page(rows, limit, "open_time")


def daily(session, symbol: str, start: dt.date, end: dt.date, limit: int, cursor: str | None):
    after, op = start, ">="
    if cursor:
        after, op = dt.date.fromisoformat(decode_cursor(cursor, ("after",))["after"]), ">"
    rows = session.query(
        f"SELECT * FROM {SYMBOL_DAILY_TABLE} WHERE symbol = ? AND trade_date {op} ? AND trade_date <= ? "
        f"ORDER BY trade_date LIMIT {int(limit) + 1}",
        [symbol, after, end],
    ).to_pylist()
    return page(rows, limit, "trade_date")


def gaps(session, symbol: str | None, start: dt.date, end: dt.date) -> list[dict]:
    where, params = ["trade_date >= ?", "trade_date <= ?"], list[object]([start, end])
    if symbol:
        where.append("symbol = ?")
        params.append(symbol)
    return session.query(
        f"SELECT * FROM {DATA_GAPS_TABLE} WHERE {' AND '.join(where)} ORDER BY symbol, trade_date, gap_start", params
    ).to_pylist()
