"""Reading Binance REST responses: shape checks that name what is missing, and HTTP errors -> exceptions."""

from __future__ import annotations

from typing import Any

import requests

from .rest_errors import BinanceApiError, ClockSkew, IpBanned, RateLimited, ResponseShapeError, ServerError
from .rest_protocol import TIMESTAMP_OUTSIDE_RECV_WINDOW

C2C_HISTORY_PATH = "/sapi/v1/c2c/orderMatch/listUserOrderHistory"
AGG_KEYS = frozenset("apqflTmM")
TRADE_KEYS = frozenset({"id", "price", "qty", "quoteQty", "time", "isBuyerMaker", "isBestMatch"})
# USD-M futures' items lack the best-match flag (`M`, `isBestMatch`): futures have no best match.
FUTURES_AGG_KEYS = AGG_KEYS - {"M"}
FUTURES_TRADE_KEYS = TRADE_KEYS - {"isBestMatch"}
FUTURES_PREFIX = "/fapi/"
TICKER_KEYS = frozenset({"symbol", "quoteVolume"})  # what the universe reads of a 24 h ticker


def parse_c2c_page(body: Any) -> tuple[list[dict], int | None]:
    """`{code, message, data, total, success}` or a bare list -> (rows, total or None)."""
    if isinstance(body, list):
        data, total = body, None
    elif isinstance(body, dict) and "data" in body:
        if body.get("success") is False or str(body.get("code", "000000")) != "000000":
            raise BinanceApiError(200, None, f"C2C error {body.get('code')}: {body.get('message')}", C2C_HISTORY_PATH)
        data, total = body["data"] or [], body.get("total")
    else:
        raise ResponseShapeError(f"{C2C_HISTORY_PATH}: expected a wrapped object or a list, got {peek(body)}")
    required = {"orderNumber", "tradeType", "asset", "fiat", "amount", "totalPrice", "unitPrice", "orderStatus"}
    for row in data:
        missing = (required | {"createTime"}) - set(row) if isinstance(row, dict) else required
        if missing:
            raise ResponseShapeError(f"{C2C_HISTORY_PATH}: order row lacks {sorted(missing)}: {peek(row)}")
    return data, (int(total) if total is not None else None)


def agg_keys(path: str) -> frozenset[str]:
    """The keys every aggTrades item of `path` has (spot's, or USD-M futures' without `M`)."""
    return FUTURES_AGG_KEYS if path.startswith(FUTURES_PREFIX) else AGG_KEYS


def trade_keys(path: str) -> frozenset[str]:
    return FUTURES_TRADE_KEYS if path.startswith(FUTURES_PREFIX) else TRADE_KEYS


def rows_of(body: Any, keys: frozenset[str], path: str) -> list[dict]:
    if not isinstance(body, list):
        raise ResponseShapeError(f"{path}: expected a list, got {peek(body)}")
    for row in body:
        if not isinstance(row, dict) or not keys <= set(row):
            missing = sorted(keys - set(row)) if isinstance(row, dict) else sorted(keys)
            raise ResponseShapeError(f"{path}: row lacks fields {missing}: {peek(row)}")
    return body


def peek(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _retry_after(response: requests.Response, default: float) -> float:
    try:
        return float(response.headers.get("Retry-After", default))
    except ValueError:
        return default


def error_from_response(response: requests.Response, path: str) -> BinanceApiError:
    status = response.status_code
    try:
        body = response.json()
        code, msg = body.get("code"), str(body.get("msg", body))
    except (ValueError, AttributeError):
        code, msg = None, (response.text or response.reason or "")[:200]
    if status == 418:
        return IpBanned(status, code, msg, path, _retry_after(response, 120.0))
    if status == 429:
        return RateLimited(status, code, msg, path, _retry_after(response, 60.0))
    if status >= 500:
        return ServerError(status, code, msg, path)
    if code == TIMESTAMP_OUTSIDE_RECV_WINDOW:
        return ClockSkew(status, code, msg, path)
    return BinanceApiError(status, code, msg, path)
