"""Binance's exact REST shapes (spot `/api/v3`), shared by the serving API and the REST client/simulator.

Pure: no Dagster, no HTTP library. Decimals print as Binance prints them (fixed 8 decimals, no float
noise); times are milliseconds (the warehouse stores UTC microseconds).
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from . import intervals

REQUEST_WEIGHTS: dict[str, int] = {
    "/api/v3/ping": 1,
    "/api/v3/time": 1,
    "/api/v3/exchangeInfo": 20,
    "/api/v3/klines": 2,
    "/api/v3/aggTrades": 4,
    "/api/v3/trades": 25,
    "/api/v3/historicalTrades": 25,
    "/api/v3/ticker/24hr": 80,  # without `symbol`/`symbols` (every symbol): the most it can cost
    # USD-M futures (fapi_shapes): klines at its default limit's weight (1 to 10 by limit)
    "/fapi/v1/exchangeInfo": 1,
    "/fapi/v1/klines": 5,
    "/fapi/v1/aggTrades": 20,
    "/fapi/v1/trades": 5,
    "/fapi/v1/historicalTrades": 20,
}
WEIGHT_LIMIT_1M = 6000

# The intervals the serving API answers: every kline interval but `1s` (it builds klines from 1m bars).
INTERVAL_MS: dict[str, int | None] = {name: ms for name, ms in intervals.INTERVAL_MS.items() if name != "1s"}

# Binance error codes: the public market-data paths, and the signed paths (the REST client and simulator).
ERR_UNKNOWN = -1000
ERR_TOO_MANY_REQUESTS = -1003
ERR_ILLEGAL_CHARS = -1100
ERR_TOO_MANY_PARAMETERS = -1101
ERR_MANDATORY_PARAM = -1102
ERR_UNKNOWN_PARAM = -1104
ERR_INVALID_INTERVAL = -1120
ERR_INVALID_SYMBOL = -1121
ERR_BAD_PARAM = -1100
ERR_TIMESTAMP_OUTSIDE_RECV_WINDOW = -1021
ERR_INVALID_SIGNATURE = -1022
ERR_INVALID_PARAMETER = -1130  # "Invalid data sent for a parameter."
ERR_OPTIONAL_PARAMS_BAD_COMBO = -1128  # "Combination of optional parameters invalid."
ERR_API_KEY_FORMAT = -2014  # "API-key format invalid." (also: no key sent)
ERR_BAD_API_KEY = -2015

_EIGHT = Decimal("0.00000001")


def decimal_str(value) -> str:
    """`value` as Binance prints a decimal: fixed 8 decimals, from the shortest repr (no float noise).

    97000.01 -> "97000.01000000"; 0.1 + 0.2 -> "0.30000000"; Decimal/str/int accepted as well.
    """
    if isinstance(value, bool) or value is None:
        raise TypeError(f"not a decimal: {value!r}")
    try:
        number = Decimal(float.__repr__(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    text = f"{number.quantize(_EIGHT, rounding=ROUND_HALF_EVEN):f}"
    return "0.00000000" if text == "-0.00000000" else text


def kline_array(
    open_time_ms: int,
    open,
    high,
    low,
    close,
    volume,
    close_time_ms: int,
    quote_volume,
    trades: int,
    taker_buy_base,
    taker_buy_quote,
) -> list:
    """One `/api/v3/klines` row: 12 elements, decimals as strings, the last ("ignore") "0"."""
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
    price,
    qty,
    first_id: int,
    last_id: int,
    time_ms: int,
    is_buyer_maker: bool,
    is_best_match: bool = True,
) -> dict:
    """One `/api/v3/aggTrades` item: {"a","p","q","f","l","T","m","M"}."""
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
    trade_id: int, price, qty, quote_qty, time_ms: int, is_buyer_maker: bool, is_best_match: bool = True
) -> dict:
    """One `/api/v3/trades` or `/api/v3/historicalTrades` item."""
    return {
        "id": int(trade_id),
        "price": decimal_str(price),
        "qty": decimal_str(qty),
        "quoteQty": decimal_str(quote_qty),
        "time": int(time_ms),
        "isBuyerMaker": bool(is_buyer_maker),
        "isBestMatch": bool(is_best_match),
    }


def ticker_mini_obj(
    symbol: str, open_, high, low, last, volume, quote_volume, open_time: int, close_time: int,
    first_id: int, last_id: int, count: int,
) -> dict:
    """One `/api/v3/ticker/24hr?type=MINI` item (no trade in the window: first and last id -1, count 0)."""
    return {
        "symbol": symbol,
        "openPrice": decimal_str(open_),
        "highPrice": decimal_str(high),
        "lowPrice": decimal_str(low),
        "lastPrice": decimal_str(last),
        "volume": decimal_str(volume),
        "quoteVolume": decimal_str(quote_volume),
        "openTime": int(open_time),
        "closeTime": int(close_time),
        "firstId": int(first_id),
        "lastId": int(last_id),
        "count": int(count),
    }


def json_body(body: Any) -> bytes:
    """A response body's bytes as Binance sends them: compact JSON (what the simulator serves and writes)."""
    return json.dumps(body, separators=(",", ":")).encode()


def error_body(code: int, msg: str) -> dict:
    """Binance's error body: {"code": -1121, "msg": "Invalid symbol."}."""
    return {"code": int(code), "msg": str(msg)}


def rate_limits(weight_limit_1m: int = WEIGHT_LIMIT_1M) -> list[dict]:
    """exchangeInfo's `rateLimits`."""
    return [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": int(weight_limit_1m)},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
    ]


# exchangeInfo's baseAsset/quoteAsset for a symbol: the quote is a known quote asset it ends with.
QUOTE_ASSETS = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY", "BRL")


def split_symbol(symbol: str) -> tuple[str, str]:
    for quote in QUOTE_ASSETS:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    return symbol[:-4] or symbol, symbol[-4:]
