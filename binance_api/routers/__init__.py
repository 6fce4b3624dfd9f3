"""Route families: market_data (Binance /api/v3), trading_data, analytics, predictions, health."""
