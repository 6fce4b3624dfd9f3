{#-
  1-minute OHLCV bars per symbol built from the trades, with the columns of a Binance kline plus VWAP.
  Only minutes with trades have a bar (fct_data_gaps lists the others). Each run rebuilds exactly the
  Dagster partition window (vars min_date, max_date, symbols).
-#}
with minutely as (
    select * from {{ ref('int_trades__minutely') }}
    where {{ partition_window() }}
)

select
    symbol,
    trade_date,
    open_time,
    open,
    high,
    low,
    close,
    volume,
    {{ dbt.dateadd('microsecond', -1, dbt.dateadd('minute', 1, 'open_time')) }} as close_time,
    quote_volume,
    trade_count,
    taker_buy_base_volume,
    taker_buy_quote_volume,
    quote_volume / nullif(volume, 0) as vwap,
    first_trade_id,
    last_trade_id
from minutely
