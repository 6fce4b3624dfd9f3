"""/api/v1 trading data: 1m bars by symbol and time range, cursor-paginated."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Path, Query

from binance_api import schemas
from binance_api.deps import ReadSessionDep, require_market_data
from binance_api.services import data_service as ds

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.ApiError, "description": "Bad cursor."},
    401: {"model": schemas.ApiError, "description": "Missing, expired or invalid token."},
    403: {"model": schemas.ApiError, "description": "The token lacks the scope."},
    422: {"model": schemas.ApiError, "description": "Bad parameter."},
    429: {"model": schemas.ApiError, "description": "Rate limit; see Retry-After."},
}

router = APIRouter(prefix="/api/v1", tags=["trading data"], dependencies=[Depends(require_market_data)],
                   responses=AUTH_ERRORS)

SYMBOL_PATTERN = "^[A-Z0-9]{2,20}$"


@router.get("/bars/{symbol}", response_model=schemas.BarsPage, summary="1m OHLCV bars (cursor-paginated).")
def bars(
    session: ReadSessionDep,
    symbol: str = Path(..., pattern=SYMBOL_PATTERN, examples=["BTCUSDT"]),
    start: dt.datetime = Query(..., description="UTC, inclusive", examples=["2025-01-01T00:00:00"]),
    end: dt.datetime = Query(..., description="UTC, exclusive", examples=["2025-01-02T00:00:00"]),
    limit: int = Query(500, ge=1, le=5000),
    cursor: str | None = Query(None, max_length=200, description="next_cursor of the previous page"),
) -> dict:
    start, end = _naive(start), _naive(end)
    items, nxt = ds.bars(session, symbol, start, end, limit, cursor)
    return {"symbol": symbol, "items": items, "next_cursor": nxt}


def _naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def naive_utc(value: dt.datetime) -> dt.datetime:
    return _naive(value)
