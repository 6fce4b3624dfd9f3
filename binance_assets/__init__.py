"""Dagster asset platform for Binance market data."""
