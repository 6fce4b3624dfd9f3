"""The serving API: Binance-compatible market data (/api/v3) and the platform's own API (/api/v1).

No Dagster import anywhere in this package (its image stays small and starts fast): it reads the
warehouse through `binance_assets.warehouse` and the settings through `binance_assets.settings`.

    uvicorn --factory binance_api.main:create_app --workers 2
"""
