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
with minutely as (
    select * from {{ ref('int_trades__minutely') }}
    where {{ partition_window() }}
),

klines as (
    select symbol, trade_date, open_time, open from {{ ref('stg_binance__spot_klines_1m') }}
    where {{ partition_window() }}
),

days as (
    select symbol, trade_date, min(open_time) as first_traded_minute
    from minutely
    group by symbol, trade_date
),

day_open as (
    select
        days.symbol,
        days.trade_date,
        coalesce(klines.open, first_bar.open) as price
    from days
    inner join minutely as first_bar
        on first_bar.symbol = days.symbol
        and first_bar.open_time = days.first_traded_minute
    left join klines
        on klines.symbol = days.symbol
        and klines.open_time = cast(days.trade_date as timestamp)
),

minute_grid as (
    select
        days.symbol,
        days.trade_date,
        {{ dbt.dateadd('minute', 'minutes.minute_of_day', 'cast(days.trade_date as timestamp)') }} as open_time
    from days
    cross join (select minute_of_day from generate_series(0, 1439) as series(minute_of_day)) as minutes
),

gridded as (
    select
        minute_grid.symbol,
        minute_grid.trade_date,
        minute_grid.open_time,
        max(minutely.open_time) over (
            partition by minute_grid.symbol, minute_grid.trade_date
            order by minute_grid.open_time
            rows between unbounded preceding and current row
        ) as last_traded_minute
    from minute_grid
    left join minutely
        on minutely.symbol = minute_grid.symbol
        and minutely.open_time = minute_grid.open_time
),

filled as (
    select
        gridded.symbol,
        gridded.trade_date,
        gridded.open_time,
        bar.open_time is not null as has_trades,
        coalesce(last_bar.close, day_open.price) as carried_close,
        bar.open,
        bar.high,
        bar.low,
        bar.close,
        bar.volume,
        bar.quote_volume,
        bar.trade_count,
        bar.taker_buy_base_volume,
        bar.taker_buy_quote_volume,
        bar.first_trade_id,
        bar.last_trade_id
    from gridded
    left join minutely as bar
        on bar.symbol = gridded.symbol
        and bar.open_time = gridded.open_time
    left join minutely as last_bar
        on last_bar.symbol = gridded.symbol
        and last_bar.open_time = gridded.last_traded_minute
    inner join day_open
        on day_open.symbol = gridded.symbol
        and day_open.trade_date = gridded.trade_date
)

select
    symbol,
    trade_date,
    open_time,
    case when has_trades then open else carried_close end as open,
    case when has_trades then high else carried_close end as high,
    case when has_trades then low else carried_close end as low,
    case when has_trades then close else carried_close end as close,
    coalesce(volume, 0) as volume,
    {{ dbt.dateadd('microsecond', -1, dbt.dateadd('minute', 1, 'open_time')) }} as close_time,
    coalesce(quote_volume, 0) as quote_volume,
    cast(coalesce(trade_count, 0) as bigint) as trade_count,
    coalesce(taker_buy_base_volume, 0) as taker_buy_base_volume,
    coalesce(taker_buy_quote_volume, 0) as taker_buy_quote_volume,
    coalesce(quote_volume / nullif(volume, 0), carried_close) as vwap,
    first_trade_id,
    last_trade_id
from filled
