"""Pure Binance I/O library: archive formats, archive client, simulator. No Dagster imports."""
