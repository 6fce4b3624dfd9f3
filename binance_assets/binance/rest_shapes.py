"""Binance spot REST shapes, exactly as binance-spot-api-docs print them. Pure: no HTTP, no Dagster.

Shared by the REST simulator/client (this package) and the serving API, so both speak one dialect:
request weights, the 1-minute weight budget, decimals as fixed 8-decimal strings, kline arrays,
aggTrade/trade objects and error bodies (the contract shared with the serving API: headers, error codes
and anything else the REST client needs live in `rest_protocol.py`). Times in REST responses are milliseconds by default
(microseconds when the request sends `X-MBX-TIME-UNIT: MICROSECOND`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

REQUEST_WEIGHTS: dict[str, int] = {
    "/api/v3/ping": 1,
    "/api/v3/time": 1,
    "/api/v3/exchangeInfo": 20,
    "/api/v3/klines": 2,
    "/api/v3/aggTrades": 4,
    "/api/v3/trades": 25,
    "/api/v3/historicalTrades": 25,
}
WEIGHT_LIMIT_1M = 6000

_MINUTE = 60_000
INTERVAL_MS: dict[str, int | None] = {
    "1m": _MINUTE,
    "3m": 3 * _MINUTE,
    "5m": 5 * _MINUTE,
    "15m": 15 * _MINUTE,
    "30m": 30 * _MINUTE,
    "1h": 60 * _MINUTE,
    "2h": 120 * _MINUTE,
    "4h": 240 * _MINUTE,
    "6h": 360 * _MINUTE,
    "8h": 480 * _MINUTE,
    "12h": 720 * _MINUTE,
    "1d": 1440 * _MINUTE,
    "3d": 3 * 1440 * _MINUTE,
    "1w": 7 * 1440 * _MINUTE,
    "1M": None,  # a calendar month
}

_EIGHT = Decimal("0.00000001")


def decimal_str(value: Any) -> str:
    """`value` as Binance prints decimals: fixed 8 decimals, no float noise (97000.01 -> "97000.01000000").

    Floats go through their shortest repr, so 0.1 + 0.2 style noise beyond 8 decimals is rounded away.
    """
    if isinstance(value, bool):
        raise TypeError(f"decimal_str: a bool is not a decimal: {value!r}")
    try:
        text = repr(value) if isinstance(value, float) else str(value)
        number = value if isinstance(value, Decimal) else Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"decimal_str: not a number: {value!r}") from exc
    if not number.is_finite():
        raise ValueError(f"decimal_str: not a finite number: {value!r}")
    text = format(number.quantize(_EIGHT, rounding=ROUND_HALF_EVEN), "f")
    return "0.00000000" if text == "-0.00000000" else text


def kline_array(
    open_time_ms: int,
    open: Any,
    high: Any,
    low: Any,
    close: Any,
    volume: Any,
    close_time_ms: int,
    quote_volume: Any,
    trades: int,
    taker_buy_base: Any,
    taker_buy_quote: Any,
) -> list:
    """One `/api/v3/klines` row: 12 elements, times and the trade count as ints, decimals as strings."""
    return [
        int(open_time_ms),
        decimal_str(open),
        decimal_str(high),
        decimal_str(low),
        decimal_str(close),
        decimal_str(volume),
        int(close_time_ms),
        decimal_str(quote_volume),
        int(trades),
        decimal_str(taker_buy_base),
        decimal_str(taker_buy_quote),
        "0",
    ]


def agg_trade_obj(
    agg_id: int,
    price: Any,
    qty: Any,
    first_id: int,
    last_id: int,
    time_ms: int,
    is_buyer_maker: bool,
    is_best_match: bool = True,
) -> dict:
    """One `/api/v3/aggTrades` object `{a, p, q, f, l, T, m, M}`."""
    return {
        "a": int(agg_id),
        "p": decimal_str(price),
        "q": decimal_str(qty),
        "f": int(first_id),
        "l": int(last_id),
        "T": int(time_ms),
        "m": bool(is_buyer_maker),
        "M": bool(is_best_match),
    }


def trade_obj(
    trade_id: int,
    price: Any,
    qty: Any,
    quote_qty: Any,
    time_ms: int,
    is_buyer_maker: bool,
    is_best_match: bool = True,
) -> dict:
    """One `/api/v3/trades` or `/api/v3/historicalTrades` object."""
    return {
        "id": int(trade_id),
        "price": decimal_str(price),
        "qty": decimal_str(qty),
        "quoteQty": decimal_str(quote_qty),
        "time": int(time_ms),
        "isBuyerMaker": bool(is_buyer_maker),
        "isBestMatch": bool(is_best_match),
    }


def error_body(code: int, msg: str) -> dict:
    """Binance's error body `{"code": -1121, "msg": "Invalid symbol."}`."""
    return {"code": int(code), "msg": str(msg)}
