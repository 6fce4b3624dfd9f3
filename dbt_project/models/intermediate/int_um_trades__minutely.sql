{#-
  USD-M futures trades rolled up to symbol and minute (as int_trades__minutely): the building block of
  fct_um_bars_1m. Open and close are the first and last trade of the minute by trade id.
-#}
{{ trades_minutely(ref('stg_binance__um_trades')) }}
