"""Binance-compatible USD-M futures market data (`/fapi/v1`): the paths, parameters, shapes and errors of Binance's
USD-M futures API (`binance_assets.binance.fapi_shapes`), so ccxt's `binanceusdm` reads the platform's futures
history unchanged. Klines from the futures 1m bars, aggregate trades from the raw futures table."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from binance_api import schemas
from binance_api.deps import ReadSessionDep, ServicesDep, require_public_market_data
from binance_api.routers.errors import BinanceApiError
from binance_api.routers.market_data import ERRORS, _check_symbol_form, _limit, _times
from binance_api.services import futures
from binance_api.services.cache import json_response
from binance_assets.binance import fapi_shapes
from binance_assets.binance import rest_shapes as rs

router = APIRouter(
    prefix="/fapi/v1",
    tags=["USD-M futures market data (Binance-compatible)"],
    dependencies=[Depends(require_public_market_data)],
    responses=ERRORS,
)


class FuturesSymbol(BaseModel):
    model_config = ConfigDict(extra="allow")
    symbol: str
    pair: str
    contractType: str
    status: str
    baseAsset: str
    quoteAsset: str
    marginAsset: str
    pricePrecision: int
    quantityPrecision: int
    filters: list[schemas.SymbolFilter]


class FuturesExchangeInfo(BaseModel):
    timezone: str
    serverTime: int
    futuresType: str
    rateLimits: list[schemas.RateLimit]
    exchangeFilters: list[dict]
    assets: list[dict]
    symbols: list[FuturesSymbol]


async def _symbol(session, symbol: str) -> str:
    _check_symbol_form(symbol)
    if symbol not in await run_in_threadpool(futures.symbols, session):
        raise BinanceApiError(rs.ERR_INVALID_SYMBOL, "Invalid symbol.")
    return symbol


@router.get("/exchangeInfo", response_model=FuturesExchangeInfo,
            summary="The USD-M perpetuals the warehouse holds, with Binance's futures fields (weight 1).")
async def exchange_info(session: ReadSessionDep, services: ServicesDep) -> Response:
    body = await run_in_threadpool(futures.exchange_info, session, int(time.time() * 1000),
                                   services.config.api.weight_limit_1m)
    return Response(rs.json_body(body), media_type="application/json")


@router.get("/klines", response_model=schemas.Klines,
            summary="USD-M futures klines (weight 1 to 10 by limit), aggregated from the futures 1m bars.")
async def klines(
    session: ReadSessionDep,
    services: ServicesDep,
    symbol: str = Query(..., examples=["BTCUSDT"]),
    interval: str = Query(..., description="1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M", examples=["1m"]),
    startTime: int | None = Query(None, description="ms since the epoch"),
    endTime: int | None = Query(None, description="ms since the epoch"),
    limit: int | None = Query(None, description="default 500, max 1500"),
) -> Response:
    symbol = await _symbol(session, symbol)
    if interval not in rs.INTERVAL_MS:
        raise BinanceApiError(rs.ERR_INVALID_INTERVAL, "Invalid interval.")
    _times(startTime, endTime)
    n = _limit(limit, fapi_shapes.KLINES_DEFAULT_LIMIT, fapi_shapes.KLINES_MAX_LIMIT)
    body = await run_in_threadpool(futures.klines_json, session, services.engine, symbol, interval, startTime,
                                   endTime, n)
    return json_response(body)


@router.get("/aggTrades", response_model=list[schemas.FuturesAggTrade],
            summary="USD-M futures aggregate trades (weight 20): by id from fromId, or by time (startTime and "
                    "endTime at most one hour apart), else the most recent.")
async def agg_trades(
    session: ReadSessionDep,
    symbol: str = Query(..., examples=["BTCUSDT"]),
    fromId: int | None = Query(None, description="Aggregate trade id to start from (inclusive)."),
    startTime: int | None = Query(None, description="ms since the epoch (inclusive)"),
    endTime: int | None = Query(None, description="ms since the epoch (inclusive)"),
    limit: int | None = Query(None, description="default 500, max 1000"),
) -> Response:
    symbol = await _symbol(session, symbol)
    _times(startTime, endTime)
    if startTime is not None and endTime is not None and endTime - startTime > fapi_shapes.AGG_TRADES_MAX_WINDOW_MS:
        raise BinanceApiError(fapi_shapes.ERR_TIME_RANGE, "More than 1 hours between startTime and endTime.")
    if fromId is not None and fromId < 0:
        raise BinanceApiError(rs.ERR_INVALID_PARAMETER, "Invalid data sent for a parameter.")
    n = _limit(limit, fapi_shapes.AGG_TRADES_DEFAULT_LIMIT, fapi_shapes.AGG_TRADES_MAX_LIMIT)
    body = await run_in_threadpool(futures.agg_trades_json, session, symbol, fromId, startTime, endTime, n)
    return json_response(body)
