{#-
  USD-M futures, as assert_bars_match_archive_klines for spot: the 1m bars built from trades must equal
  the 1m klines Binance publishes, minute for minute: same trade count and OHLC, volumes equal up to float summation error. Returns the disagreeing minutes, scoped to
  the run's window. A minute present on one side only disagrees, so a (day, symbol) whose trades or
  klines are missing while the other side is loaded fails with its 1440 minutes; it never passes
  vacuously. (fct_um_bars_1m depends on both raw tables, so automation builds it, and runs this test, only
  once both sides of the day are loaded; a late file re-triggers it.)
-#}
{{ config(severity='error', tags=['reconciliation'], meta={'dagster': {'ref': {'name': 'fct_um_bars_1m'}}}) }}

{{ bars_match_klines('fct_um_bars_1m', 'stg_binance__um_klines_1m') }}
