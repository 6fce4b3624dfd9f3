{#-
  1-minute OHLCV bars per symbol built from the trades, with the columns of a Binance kline plus VWAP:
  every minute of every (symbol, day) that has trades, as Binance publishes a kline for every minute.
  A minute without trades repeats the previous close as open, high, low and close, with zero volumes
  and trade count (Binance's convention), VWAP at that close and no trade ids. The minutes before the
  day's first trade take the price Binance shows for them: the open of the day's first kline, which is
  the previous day's close (without that day's klines, the day's first trade price). The bars reference
  the klines, so they depend on both raw tables and are built once both sides of a day are loaded.
  Each run rebuilds exactly the Dagster partition window (vars min_date, max_date, symbols).
-#}
{{ bars_1m(ref('int_trades__minutely'), ref('stg_binance__spot_klines_1m')) }}
