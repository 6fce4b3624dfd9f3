"""The registry's datasets the API serves (`binance_assets.binance.datasets`, keyed by the same id): the
Binance-shaped path each is read from. A dataset the warehouse loads but the API does not serve is listed in
`NOT_SERVED`; tests/test_dataset_registry.py fails on a loaded dataset in neither."""

from __future__ import annotations

SERVED: dict[str, str] = {
    "spot_trades": "/api/v3/historicalTrades",
    "spot_agg_trades": "/api/v3/aggTrades",
    "spot_klines_1m": "/api/v3/klines",  # aggregated from marts.fct_bars_1m
    "um_agg_trades": "/fapi/v1/aggTrades",
    "um_klines_1m": "/fapi/v1/klines",  # aggregated from marts.fct_um_bars_1m
}
# USD-M trades reach the API as the bars /fapi/v1/klines serves (there is no /fapi/v1/historicalTrades here).
NOT_SERVED: frozenset[str] = frozenset({"um_trades"})
