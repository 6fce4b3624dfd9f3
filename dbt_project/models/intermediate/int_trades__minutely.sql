{#-
  Trades rolled up to symbol and minute, the building block of the 1m bars and the gap report.
  Open and close are the first and last trade of the minute by trade id, as Binance computes klines.
-#}
{{ trades_minutely(ref('stg_binance__spot_trades')) }}
