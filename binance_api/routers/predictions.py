"""/api/v1 predictions (latest, history with realised outcome, accuracy) and the model registry."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool

from binance_api import schemas
from binance_api.deps import CacheDep, ConfigDep, ReadSessionDep, require_admin, require_predictions
from binance_api.routers.trading_data import AUTH_ERRORS, SYMBOL_PATTERN, naive_utc
from binance_api.services import ml_service

router = APIRouter(prefix="/api/v1", tags=["predictions"], responses=AUTH_ERRORS)
predictions_scope = [Depends(require_predictions)]


@router.get("/predictions/{symbol}/latest", response_model=schemas.LatestPredictions, dependencies=predictions_scope,
            summary="Each model's prediction for the latest scored minute (cached until the next publish).")
async def latest(
    session: ReadSessionDep,
    cache: CacheDep,
    symbol: str = Path(..., pattern=SYMBOL_PATTERN, examples=["BTCUSDT"]),
):
    return await cache.aresponse(session.version, ("latest", symbol),
                          lambda: {"symbol": symbol, "items": ml_service.latest(session, symbol)})


@router.get("/predictions/{symbol}", response_model=schemas.PredictionsPage, dependencies=predictions_scope,
            summary="Prediction history with realised outcomes (cursor-paginated).")
def history(
    session: ReadSessionDep,
    symbol: str = Path(..., pattern=SYMBOL_PATTERN, examples=["BTCUSDT"]),
    start: dt.datetime = Query(dt.datetime(2000, 1, 1), description="UTC, inclusive"),
    end: dt.datetime = Query(dt.datetime(2100, 1, 1), description="UTC, exclusive"),
    model: str | None = Query(None, max_length=128, description="Only this model name."),
    limit: int = Query(500, ge=1, le=5000),
    cursor: str | None = Query(None, max_length=300),
) -> dict:
    items, nxt = ml_service.history(session, symbol, naive_utc(start), naive_utc(end), model, limit, cursor)
    return {"symbol": symbol, "items": items, "next_cursor": nxt}


@router.get("/predictions/{symbol}/accuracy", response_model=schemas.Accuracy, dependencies=predictions_scope,
            summary="Realised accuracy per model version.")
def accuracy(
    session: ReadSessionDep,
    symbol: str = Path(..., pattern=SYMBOL_PATTERN, examples=["BTCUSDT"]),
    start: dt.datetime = Query(dt.datetime(2000, 1, 1)),
    end: dt.datetime = Query(dt.datetime(2100, 1, 1)),
) -> dict:
    return {"symbol": symbol, "items": ml_service.accuracy(session, symbol, naive_utc(start), naive_utc(end))}


@router.get("/models", response_model=schemas.Models, dependencies=[Depends(require_admin)],
            summary="The model registry: champions, challengers, metrics, promotion history.")
async def models(config: ConfigDep) -> dict:
    return {"items": await run_in_threadpool(ml_service.models, config)}
