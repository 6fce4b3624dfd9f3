-- Binance's own USD-M futures 1-minute klines, one row per symbol and minute. Renames and casts only.
{{ stg_klines_1m('um_klines_1m') }}
