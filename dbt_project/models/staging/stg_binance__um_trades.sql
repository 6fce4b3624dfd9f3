{#-
  One row per USD-M futures trade (as stg_binance__spot_trades). Renames and casts; a trade id seen twice in
  one partition is kept once, and a copy
  stamped outside its partition's day (Binance repeats trades across a day boundary) is dropped.
  The window's partition columns let the engines push the run's date/symbol filter into the scan.
-#}
with source as (
    select * from {{ source('raw', 'um_trades') }}
),

ranked as (
    select
        *,
        row_number() over (partition by symbol, trade_date, trade_id order by trade_time) as copy_number
    from source
)

select
    cast(symbol as varchar(20)) as symbol,
    cast(trade_date as date) as trade_date,
    cast(trade_id as bigint) as trade_id,
    cast(price as double precision) as price,
    cast(qty as double precision) as base_qty,
    cast(quote_qty as double precision) as quote_qty,
    cast(trade_time as timestamp) as traded_at,
    is_buyer_maker,
    not is_buyer_maker as is_taker_buy
from ranked
where copy_number = 1
  and cast(trade_time as date) = trade_date
