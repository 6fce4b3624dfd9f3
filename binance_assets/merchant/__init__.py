"""Merchant data: the merchant's own C2C (P2P) orders from Binance's signed REST API."""
