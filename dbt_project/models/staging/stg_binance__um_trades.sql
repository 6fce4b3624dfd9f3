{#-
  One row per USD-M futures trade (as stg_binance__spot_trades). Renames and casts; a trade id seen twice in
  one partition is kept once, and a copy
  stamped outside its partition's day (Binance repeats trades across a day boundary) is dropped.
  The window's partition columns let the engines push the run's date/symbol filter into the scan.
-#}
{{ stg_trades('um_trades') }}
