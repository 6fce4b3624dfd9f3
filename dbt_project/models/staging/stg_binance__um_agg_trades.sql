-- One row per USD-M futures aggregated trade (the fills of one taker order at one price). Renames and casts only.
with source as (
    select * from {{ source('raw', 'um_agg_trades') }}
),

ranked as (
    select
        *,
        row_number() over (partition by symbol, trade_date, agg_trade_id order by trade_time) as copy_number
    from source
)

select
    cast(symbol as varchar(20)) as symbol,
    cast(trade_date as date) as trade_date,
    cast(agg_trade_id as bigint) as agg_trade_id,
    cast(price as double precision) as price,
    cast(qty as double precision) as base_qty,
    cast(first_trade_id as bigint) as first_trade_id,
    cast(last_trade_id as bigint) as last_trade_id,
    last_trade_id - first_trade_id + 1 as trade_count,
    cast(trade_time as timestamp) as traded_at,
    not is_buyer_maker as is_taker_buy
from ranked
where copy_number = 1
  and cast(trade_time as date) = trade_date
