"""USD-M futures REST shapes (`/fapi/v1`), shared by the REST simulator and the serving API. No I/O here.

Binance's USD-M futures market data (developers.binance.com, derivatives/usds-margined-futures/market-data):

* `GET /fapi/v1/exchangeInfo` (weight 1): `futuresType` "U_MARGINED", per symbol `pair`, `contractType`
  ("PERPETUAL"), `deliveryDate`, `onboardDate`, `marginAsset`, `pricePrecision`, `quantityPrecision` and the
  futures filters (PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, MAX_NUM_ORDERS, MIN_NOTIONAL with `notional`, ...);
  laid out as the real response of shared/fixtures/binance/rest/exchange_info_um.json.
* `GET /fapi/v1/klines` (weight 1/2/5/10 by limit): the spot kline arrays; limit default 500, max 1500.
* `GET /fapi/v1/aggTrades` (weight 20): `{"a","p","q","f","l","T","m"}` (no `M`: futures have no best match);
  limit default 500, max 1000; startTime and endTime together at most one hour apart.
* `GET /fapi/v1/trades` (weight 5, the most recent trades) and `GET /fapi/v1/historicalTrades` (weight 20, by
  `fromId`; security MARKET_DATA: the `X-MBX-APIKEY` header, no signature): `{"id","price","qty","quoteQty",
  "time","isBuyerMaker"}` (no `isBestMatch`); limit default 500, max 1000.
"""

from __future__ import annotations

from .rest_shapes import split_symbol

EXCHANGE_INFO = "/fapi/v1/exchangeInfo"
KLINES = "/fapi/v1/klines"
AGG_TRADES = "/fapi/v1/aggTrades"
TRADES = "/fapi/v1/trades"
HISTORICAL_TRADES = "/fapi/v1/historicalTrades"
KLINES_DEFAULT_LIMIT, KLINES_MAX_LIMIT = 500, 1500
AGG_TRADES_DEFAULT_LIMIT, AGG_TRADES_MAX_LIMIT = 500, 1000
AGG_TRADES_MAX_WINDOW_MS = 3_600_000
ERR_TIME_RANGE = -1127  # "More than 1 hours between startTime and endTime."
WEIGHT_LIMIT_1M = 2400
PERPETUAL_DELIVERY_MS = 4133404800000  # 2100-12-25: Binance's delivery date of a perpetual contract
ORDER_TYPES = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"]


def klines_weight(limit: int) -> int:
    """`/fapi/v1/klines` weight for `limit` rows: [1,100) 1, [100,500) 2, [500,1000] 5, above 10."""
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


def agg_trade(obj: dict) -> dict:
    """A spot aggTrades item (`rest_shapes.agg_trade_obj`) in the futures shape: without `M`."""
    return {key: value for key, value in obj.items() if key != "M"}


def trade(obj: dict) -> dict:
    """A spot trades item (`rest_shapes.trade_obj`) in the futures shape: without `isBestMatch`."""
    return {key: value for key, value in obj.items() if key != "isBestMatch"}


def _step(decimals: int) -> str:
    return "1" if decimals <= 0 else f"0.{'0' * (decimals - 1)}1"


def symbol_info(symbol: str, price_decimals: int, qty_decimals: int, onboard_ms: int, status: str = "TRADING") -> dict:
    """One perpetual contract of `/fapi/v1/exchangeInfo` (quoted and margined in its quote asset)."""
    base, quote = split_symbol(symbol)
    tick, step = _step(price_decimals), _step(qty_decimals)
    return {
        "symbol": symbol, "pair": symbol, "contractType": "PERPETUAL", "deliveryDate": PERPETUAL_DELIVERY_MS,
        "onboardDate": int(onboard_ms), "status": status, "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000", "baseAsset": base, "quoteAsset": quote, "marginAsset": quote,
        "pricePrecision": price_decimals, "quantityPrecision": qty_decimals, "baseAssetPrecision": 8,
        "quotePrecision": 8, "underlyingType": "COIN", "underlyingSubType": [], "settlePlan": 0,
        "triggerProtect": "0.0500", "liquidationFee": "0.012500", "marketTakeBound": "0.05",
        "filters": [
            {"minPrice": tick, "maxPrice": "4529764", "filterType": "PRICE_FILTER", "tickSize": tick},
            {"stepSize": step, "filterType": "LOT_SIZE", "maxQty": "1000", "minQty": step},
            {"stepSize": step, "filterType": "MARKET_LOT_SIZE", "maxQty": "120", "minQty": step},
            {"limit": 200, "filterType": "MAX_NUM_ORDERS"},
            {"limit": 10, "filterType": "MAX_NUM_ALGO_ORDERS"},
            {"notional": "100", "filterType": "MIN_NOTIONAL"},
            {"multiplierDown": "0.9500", "multiplierUp": "1.0500", "multiplierDecimal": "4",
             "filterType": "PERCENT_PRICE"},
        ],
        "orderTypes": ORDER_TYPES,
        "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
    }  # fmt: skip


def exchange_info(server_time_ms: int, symbols: list[dict], weight_limit: int = WEIGHT_LIMIT_1M) -> dict:
    """The `/fapi/v1/exchangeInfo` body over `symbols` (items of `symbol_info`)."""
    assets = sorted({s["marginAsset"] for s in symbols})
    return {
        "timezone": "UTC",
        "serverTime": int(server_time_ms),
        "futuresType": "U_MARGINED",
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": int(weight_limit)},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
        ],
        "exchangeFilters": [],
        "assets": [{"asset": a, "marginAvailable": True, "autoAssetExchange": "-10000"} for a in assets],
        "symbols": symbols,
    }


