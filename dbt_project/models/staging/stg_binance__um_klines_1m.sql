-- Binance's own USD-M futures 1-minute klines, one row per symbol and minute. Renames and casts only.
with source as (
    select * from {{ source('raw', 'um_klines_1m') }}
),

ranked as (
    select
        *,
        row_number() over (partition by symbol, trade_date, open_time order by close_time) as copy_number
    from source
)

select
    cast(symbol as varchar(20)) as symbol,
    cast(trade_date as date) as trade_date,
    cast(open_time as timestamp) as open_time,
    cast(open as double precision) as open,
    cast(high as double precision) as high,
    cast(low as double precision) as low,
    cast(close as double precision) as close,
    cast(volume as double precision) as volume,
    cast(close_time as timestamp) as close_time,
    cast(quote_volume as double precision) as quote_volume,
    cast(trade_count as bigint) as trade_count,
    cast(taker_buy_base_volume as double precision) as taker_buy_base_volume,
    cast(taker_buy_quote_volume as double precision) as taker_buy_quote_volume
from ranked
where copy_number = 1
