"""USD-M futures market data in Binance's futures shapes (`/fapi/v1`, `binance_assets.binance.fapi_shapes`),
read from the warehouse: klines from `marts.fct_um_bars_1m`, aggregate trades from `raw.um_agg_trades`, the
perpetuals of exchangeInfo from the symbols the bars hold. The same SQL as the spot paths
(`market_data.sql_klines_json`, `sql_agg_trades_json`) on the futures tables, on DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from binance_api.services import market_data as md
from binance_assets.binance import fapi_shapes
from binance_assets.warehouse.snapshots import table_exists
from binance_assets.warehouse.table_names import UM_BARS_1M_TABLE
from binance_assets.warehouse.tables import RAW_TABLES

UM_AGG_TRADES = RAW_TABLES["um_agg_trades"].qualified_name
SAMPLE_ROWS = 1000  # aggregate trades read per symbol to tell its price and quantity decimals


def symbols(session) -> dict[str, dt.date]:
    """The USD-M symbols the bars hold, each with its first day (none before the futures marts are built)."""
    if not table_exists(session, UM_BARS_1M_TABLE):
        return {}
    rows = session.query(f"SELECT symbol, min(trade_date) AS first_day FROM {UM_BARS_1M_TABLE} GROUP BY symbol")
    return dict(zip(rows.column("symbol").to_pylist(), rows.column("first_day").to_pylist(), strict=True))


def _decimals(values: list[float]) -> int:
    return max((max(-Decimal(repr(v)).normalize().as_tuple().exponent, 0) for v in values), default=0)


def exchange_info(session, server_time_ms: int, weight_limit: int) -> dict:
    """The `/fapi/v1/exchangeInfo` body: a perpetual per held symbol, its precisions those its trades need."""
    infos = []
    for symbol, first_day in sorted(symbols(session).items()):
        sample = session.query(
            f"SELECT price, qty FROM {UM_AGG_TRADES} WHERE symbol = ? ORDER BY agg_trade_id LIMIT {SAMPLE_ROWS}",
            [symbol],
        )
        onboard_ms = (first_day - dt.date(1970, 1, 1)).days * 86_400_000
        infos.append(fapi_shapes.symbol_info(symbol, _decimals(sample.column("price").to_pylist()),
                                             _decimals(sample.column("qty").to_pylist()), onboard_ms))
    return fapi_shapes.exchange_info(server_time_ms, infos, weight_limit)


def klines_json(session, engine: str, symbol: str, interval: str, start_ms: int | None, end_ms: int | None,
                limit: int) -> bytes:
    """The `/fapi/v1/klines` body: the spot klines' arrays from the futures bars."""
    return md.sql_klines_json(session, engine, symbol, interval, start_ms, end_ms, limit,
                              bars_table=UM_BARS_1M_TABLE)


def agg_trades_json(session, symbol: str, from_id: int | None, start_ms: int | None, end_ms: int | None,
                    limit: int) -> bytes:
    """The `/fapi/v1/aggTrades` body: the spot items without `M` (futures have no best match)."""
    body = md.sql_agg_trades_json(session, symbol, from_id, start_ms, end_ms, limit, agg_table=UM_AGG_TRADES)
    return json.dumps([fapi_shapes.agg_trade(item) for item in json.loads(body)], separators=(",", ":")).encode()
