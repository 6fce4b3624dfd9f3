"""The REST simulator's USD-M futures routes (`/fapi/v1`, shapes in `fapi_shapes`): the same simulated days as
the spot routes, times in milliseconds."""

from __future__ import annotations

from typing import Any

from . import fapi_shapes
from .rest_sim_faults import SimError, limit_param, opt_int
from .rest_sim_market import SimMarket, to_us


def fapi_route(market: SimMarket, path: str, params: dict[str, str], now: int) -> Any:
    """USD-M futures market data (`fapi_shapes`): the same simulated days, times in milliseconds."""
    if path == fapi_shapes.EXCHANGE_INFO:
        return market.um_exchange_info(now)
    symbol = params["symbol"]  # checked by the server against the market's USD-M symbols
    start, end = opt_int(params, "startTime"), opt_int(params, "endTime")
    start_us, end_us = (to_us(start) if start is not None else None), (to_us(end) if end is not None else None)
    if path == fapi_shapes.KLINES:
        if params.get("interval") != "1m":
            raise SimError(400, -1120, "Invalid interval (the simulator serves 1m).")
        limit = opt_int(params, "limit") or fapi_shapes.KLINES_DEFAULT_LIMIT
        if not 1 <= limit <= fapi_shapes.KLINES_MAX_LIMIT:
            raise SimError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        return market.klines_1m(symbol, start_us, end_us, limit, micros=False)
    if path == fapi_shapes.AGG_TRADES:
        from_id = opt_int(params, "fromId")
        if start is not None and end is not None and end - start > fapi_shapes.AGG_TRADES_MAX_WINDOW_MS:
            raise SimError(400, fapi_shapes.ERR_TIME_RANGE, "More than 1 hours between startTime and endTime.")
        limit = limit_param(params)  # default 500, max 1000
        rows = market.agg_trades(symbol, from_id, start_us, end_us, limit, micros=False)
        return [fapi_shapes.agg_trade(row) for row in rows]
    if path in (fapi_shapes.TRADES, fapi_shapes.HISTORICAL_TRADES):  # the key is checked by the server
        from_id = opt_int(params, "fromId") if path == fapi_shapes.HISTORICAL_TRADES else None
        return [fapi_shapes.trade(row) for row in market.trades(symbol, from_id, limit_param(params), micros=False)]
    raise SimError(404, -1000, f"Unknown path {path}")
