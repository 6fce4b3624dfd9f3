"""Raw Binance assets: partitioned archive loads into the warehouse, and their checks."""
