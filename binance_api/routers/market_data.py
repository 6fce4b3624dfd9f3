"""Binance-compatible public market data (`/api/v3`): same paths, parameters, shapes and errors as Binance.

Point ccxt or binance-sdk-spot at this service and they read the platform's history. Request weights
and `X-MBX-USED-WEIGHT-1M` come from the rate-limit middleware (Binance's weights per path).
"""

from __future__ import annotations

import re
import time
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from binance_api import schemas
from binance_api.deps import ReadSessionDep, ServicesDep, require_public_market_data
from binance_api.routers.errors import BinanceApiError
from binance_api.services import market_data as md
from binance_api.services.cache import json_response
from binance_api.state import Services
from binance_assets.binance import rest_shapes as rs
from binance_assets.warehouse.snapshots import ReadSession

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.BinanceError, "description": "Bad parameter (Binance error code)."},
    401: {"model": schemas.BinanceError, "description": "Missing or invalid token (when the paths are not public)."},
    429: {"model": schemas.BinanceError, "description": "Request weight over budget; see Retry-After."},
}

router = APIRouter(
    prefix="/api/v3",
    tags=["market data (Binance-compatible)"],
    dependencies=[Depends(require_public_market_data)],
    responses=ERRORS,
)

MAX_LIMIT = 1000


def _limit(limit: int | None, default: int, most: int = MAX_LIMIT) -> int:
    if limit is None:
        return default
    if limit < 1:
        raise BinanceApiError(rs.ERR_INVALID_PARAMETER, "Invalid data sent for a parameter.")
    return min(limit, most)  # Binance caps larger limits at the maximum


def _check_symbol_form(symbol: str) -> None:
    """Binance's -1121 for a symbol that is not upper-case letters and digits (before any lookup)."""
    if symbol != symbol.upper() or not symbol.isalnum():
        raise BinanceApiError(rs.ERR_INVALID_SYMBOL, "Invalid symbol.")


def _symbol(services: Services, session: ReadSession, symbol: str) -> str:
    _check_symbol_form(symbol)
    if symbol not in known_symbols(services, session):
        raise BinanceApiError(rs.ERR_INVALID_SYMBOL, "Invalid symbol.")
    return symbol


def known_symbols(services: Services, session: ReadSession) -> frozenset[str]:
    """The symbols the data paths accept: the universe's and those the warehouse holds (per version)."""
    return services.exchange_info.get(session).known


async def _asymbol(services: Services, session: ReadSession, symbol: str) -> str:
    """`_symbol` from the event loop: the memo of the session's version, else a query in the thread pool."""
    if symbol != symbol.upper() or not symbol.isalnum():
        raise BinanceApiError(rs.ERR_INVALID_SYMBOL, "Invalid symbol.")
    catalog = services.exchange_info.peek(session.version)
    held = catalog.known if catalog is not None else await run_in_threadpool(known_symbols, services, session)
    if symbol not in held:
        raise BinanceApiError(rs.ERR_INVALID_SYMBOL, "Invalid symbol.")
    return symbol


TIME_ZONE = re.compile(r"([+-]?)(\d{1,2})(?::(\d{2}))?")


def _time_zone(text: str | None) -> int:
    """Binance's `timeZone` as an offset from UTC in ms: hours and minutes (`-1:00`, `05:45`, `+08:00`) or
    only hours (`0`, `8`), strictly within [-12:00, +14:00]; absent: UTC."""
    if text is None or text == "UTC":
        return 0
    match = TIME_ZONE.fullmatch(text)
    if match is not None:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        offset = (-1 if sign == "-" else 1) * (hours * 60 + minutes)
        if minutes < 60 and -12 * 60 <= offset <= 14 * 60:
            return offset * 60_000
    raise BinanceApiError(rs.ERR_INVALID_PARAMETER, "Invalid data sent for a parameter: timeZone must lie in "
                                                    "[-12:00, +14:00] (e.g. -1:00, 05:45, 8).")


def _times(start: int | None, end: int | None) -> None:
    if start is not None and end is not None and start > end:
        raise BinanceApiError(rs.ERR_INVALID_PARAMETER, "startTime must be less than or equal to endTime.")


@router.get("/ping", response_model=schemas.Ping, summary="Test connectivity (weight 1).")
def ping() -> dict:
    return {}


@router.get("/time", response_model=schemas.ServerTime, summary="Server time in ms (weight 1).")
def server_time() -> dict:
    return {"serverTime": int(time.time() * 1000)}


@router.get("/klines", response_model=schemas.Klines, summary="Klines (weight 2), aggregated from the 1m bars.")
async def klines(
    session: ReadSessionDep,
    services: ServicesDep,
    symbol: str = Query(..., examples=["BTCUSDT"]),
    interval: str = Query(..., description="1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M", examples=["1m"]),
    startTime: int | None = Query(None, description="ms since the epoch"),
    endTime: int | None = Query(None, description="ms since the epoch"),
    limit: int | None = Query(None, description="default 500, max 1000"),
    timeZone: str | None = Query(None, description="Intervals open on this time zone's wall clock: hours and "
                                 "minutes (-1:00, 05:45) or hours (0, 8), within [-12:00, +14:00]; default 0 (UTC). "
                                 "startTime and endTime stay UTC."),
) -> Response:
    symbol = await _asymbol(services, session, symbol)
    if interval not in rs.INTERVAL_MS:
        raise BinanceApiError(rs.ERR_INVALID_INTERVAL, "Invalid interval.")
    tz_ms = _time_zone(timeZone)
    _times(startTime, endTime)
    n = _limit(limit, 500)
    key = ("klines", symbol, interval, startTime, endTime, n, tz_ms)
    blocks = services.blocks
    # 1m klines from the block store are slices of printed rows: cheaper than Redis, kept per worker only.
    shared = blocks is None or interval != "1m"
    return await services.cache.aresponse(session.version, key, lambda: md.klines_json(
        session, services.engine, symbol, interval, startTime, endTime, n, blocks, tz_ms), shared=shared)


@router.get(
    "/aggTrades", response_model=list[schemas.AggTrade],
    summary="Aggregate trades (weight 4): by id from fromId, or by time (startTime and/or endTime, any span), "
            "else the most recent.",
)
def agg_trades(
    session: ReadSessionDep,
    services: ServicesDep,
    symbol: str = Query(..., examples=["BTCUSDT"]),
    fromId: int | None = Query(None, description="Aggregate trade id to start from (inclusive); not with "
                                                 "startTime/endTime."),
    startTime: int | None = Query(None, description="ms since the epoch (inclusive); the oldest trades from it"),
    endTime: int | None = Query(None, description="ms since the epoch (inclusive); alone: the most recent "
                                                  "trades up to it"),
    limit: int | None = Query(None, description="default 500, max 1000"),
) -> Response:
    symbol = _symbol(services, session, symbol)
    if fromId is not None and (startTime is not None or endTime is not None):
        # Binance: "fromId cannot be used together with startTime and endTime" (trades.aggregate).
        raise BinanceApiError(rs.ERR_OPTIONAL_PARAMS_BAD_COMBO, "Combination of optional parameters invalid.")
    _times(startTime, endTime)
    if fromId is not None and fromId < 0:
        raise BinanceApiError(rs.ERR_INVALID_PARAMETER, "Invalid data sent for a parameter.")
    n = _limit(limit, 500)
    blocks = services.blocks
    return json_response(md.agg_trades_json(session, symbol, fromId, startTime, endTime, n, blocks))


@router.get("/trades", response_model=list[schemas.Trade], summary="Recent trades (weight 25).")
def trades(
    session: ReadSessionDep,
    services: ServicesDep,
    symbol: str = Query(..., examples=["BTCUSDT"]),
    limit: int | None = Query(None, description="default 500, max 1000"),
) -> Response:
    symbol = _symbol(services, session, symbol)
    return json_response(md.trades_json(session, symbol, None, _limit(limit, 500)))


@router.get("/historicalTrades", response_model=list[schemas.Trade], summary="Older trades (weight 25).")
def historical_trades(
    session: ReadSessionDep,
    services: ServicesDep,
    symbol: str = Query(..., examples=["BTCUSDT"]),
    fromId: int | None = Query(None, description="Trade id to start from (inclusive); default the most recent."),
    limit: int | None = Query(None, description="default 500, max 1000"),
) -> Response:
    symbol = _symbol(services, session, symbol)
    if fromId is not None and fromId < 0:
        raise BinanceApiError(rs.ERR_INVALID_PARAMETER, "Invalid data sent for a parameter.")
    return json_response(md.trades_json(session, symbol, fromId, _limit(limit, 500)))
