{#- Staging of a raw Binance table, one macro per dataset kind: each market's staging model calls it with its
    raw table (spot_*, um_*), so the renames, casts and de-duplication are written once. -#}

{% macro stg_trades(raw_table) %}
with source as (
    select * from {{ source('raw', raw_table) }}
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
{% endmacro %}

{% macro stg_agg_trades(raw_table) %}
with source as (
    select * from {{ source('raw', raw_table) }}
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
{% endmacro %}

{% macro stg_klines_1m(raw_table) %}
with source as (
    select * from {{ source('raw', raw_table) }}
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
{% endmacro %}
