"""Binance REST protocol details the client and the simulator share beyond the shapes: headers, error codes.

Endpoints missing from `rest_shapes.REQUEST_WEIGHTS` (the SAPI C2C history) weigh 1.
"""

WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
TIME_UNIT_HEADER = "X-MBX-TIME-UNIT"
API_KEY_HEADER = "X-MBX-APIKEY"
DEFAULT_WEIGHT = 1

# Error codes the client and the simulator use (binance-spot-api-docs errors.md).
TOO_MANY_REQUESTS = -1003
TIMESTAMP_OUTSIDE_RECV_WINDOW = -1021
INVALID_SIGNATURE = -1022
MANDATORY_PARAM_MISSING = -1102
ILLEGAL_PARAM = -1100
INVALID_SYMBOL = -1121
INVALID_API_KEY = -2015
