-- Binance's own 1-minute klines, one row per symbol and minute. Renames and casts only.
{{ stg_klines_1m('spot_klines_1m') }}
