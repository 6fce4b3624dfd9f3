"""/api/v1 analytics: daily statistics (cursor-paginated), data gaps, data quality and freshness."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool

from binance_api import schemas
from binance_api.deps import ReadSessionDep, ServicesDep, require_market_data
from binance_api.routers.trading_data import AUTH_ERRORS, SYMBOL_PATTERN
from binance_api.services import data_service as ds
from binance_api.services import quality

router = APIRouter(prefix="/api/v1", tags=["analytics"], dependencies=[Depends(require_market_data)],
                   responses=AUTH_ERRORS)


@router.get("/daily/{symbol}", response_model=schemas.DailyPage, summary="Daily statistics (cursor-paginated).")
def daily(
    session: ReadSessionDep,
    symbol: str = Path(..., pattern=SYMBOL_PATTERN, examples=["BTCUSDT"]),
    start: dt.date = Query(dt.date(2000, 1, 1), description="First UTC day (inclusive)"),
    end: dt.date = Query(dt.date(2100, 1, 1), description="Last UTC day (inclusive)"),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=200, description="next_cursor of the previous page"),
) -> dict:
    items, nxt = ds.daily(session, symbol, start, end, limit, cursor)
    return {"symbol": symbol, "items": items, "next_cursor": nxt}


@router.get("/gaps", response_model=schemas.Gaps, summary="Data gaps found by the pipeline.")
def gaps(
    session: ReadSessionDep,
    symbol: str | None = Query(None, pattern=SYMBOL_PATTERN),
    start: dt.date = Query(dt.date(2000, 1, 1)),
    end: dt.date = Query(dt.date(2100, 1, 1)),
) -> dict:
    return {"items": ds.gaps(session, symbol, start, end)}


@router.get("/quality", response_model=schemas.Quality, summary="Freshness per asset and the latest check results.")
async def data_quality(services: ServicesDep) -> dict:
    def read() -> list:
        with services.reader.session() as session:
            return quality.freshness(session)

    return {
        "freshness": await run_in_threadpool(read),
        "checks": await run_in_threadpool(quality.check_results, services.config.dagster_storage),
    }
