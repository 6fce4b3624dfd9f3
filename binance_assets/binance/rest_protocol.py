"""Binance REST protocol details the client and the simulator share beyond the shapes: headers, error codes.

Endpoints missing from `rest_shapes.REQUEST_WEIGHTS` (the SAPI C2C history) weigh 1.
"""

from .rest_shapes import (
    ERR_API_KEY_FORMAT,
    ERR_BAD_API_KEY,
    ERR_BAD_PARAM,
    ERR_INVALID_SIGNATURE,
    ERR_INVALID_SYMBOL,
    ERR_MANDATORY_PARAM,
    ERR_TIMESTAMP_OUTSIDE_RECV_WINDOW,
    ERR_TOO_MANY_REQUESTS,
)

WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
TIME_UNIT_HEADER = "X-MBX-TIME-UNIT"
API_KEY_HEADER = "X-MBX-APIKEY"
DEFAULT_WEIGHT = 1
# Market-data paths of security type MARKET_DATA: the request carries the API key (`X-MBX-APIKEY`), unsigned.
# (Spot's /api/v3/historicalTrades dropped the key in 2023; USD-M futures' still asks for it.)
API_KEY_PATHS = frozenset({"/fapi/v1/historicalTrades"})

# Error codes the client and the simulator use: the one list is rest_shapes' (binance-spot-api-docs errors.md).
TOO_MANY_REQUESTS = ERR_TOO_MANY_REQUESTS
TIMESTAMP_OUTSIDE_RECV_WINDOW = ERR_TIMESTAMP_OUTSIDE_RECV_WINDOW
INVALID_SIGNATURE = ERR_INVALID_SIGNATURE
MANDATORY_PARAM_MISSING = ERR_MANDATORY_PARAM
ILLEGAL_PARAM = ERR_BAD_PARAM
INVALID_SYMBOL = ERR_INVALID_SYMBOL
INVALID_API_KEY = ERR_BAD_API_KEY
API_KEY_FORMAT = ERR_API_KEY_FORMAT
