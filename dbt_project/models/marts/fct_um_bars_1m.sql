{#-
  USD-M futures 1-minute OHLCV bars per symbol built from the futures trades, with the columns of a Binance
  kline plus VWAP: every minute of every (symbol, day) that has trades, by the same rules as fct_bars_1m
  (macros/bars_1m.sql). Reconciled with Binance's USD-M 1m klines (test assert_um_bars_match_archive_klines).
  Each run rebuilds exactly the Dagster partition window (vars min_date, max_date, symbols).
-#}
{{ bars_1m(ref('int_um_trades__minutely'), ref('stg_binance__um_klines_1m')) }}
