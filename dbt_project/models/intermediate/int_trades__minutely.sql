{#-
  Trades rolled up to symbol and minute, the building block of the 1m bars and the gap report.
  Open and close are the first and last trade of the minute by trade id, as Binance computes klines.
-#}
with trades as (
    select * from {{ ref('stg_binance__spot_trades') }}
),

ordered as (
    select
        symbol,
        trade_date,
        {{ dbt.date_trunc('minute', 'traded_at') }} as open_time,
        trade_id,
        price,
        base_qty,
        quote_qty,
        is_taker_buy,
        row_number() over (
            partition by symbol, trade_date, {{ dbt.date_trunc('minute', 'traded_at') }} order by trade_id
        ) as number_from_open,
        row_number() over (
            partition by symbol, trade_date, {{ dbt.date_trunc('minute', 'traded_at') }} order by trade_id desc
        ) as number_from_close
    from trades
)

select
    symbol,
    trade_date,
    open_time,
    max(case when number_from_open = 1 then price end) as open,
    max(price) as high,
    min(price) as low,
    max(case when number_from_close = 1 then price end) as close,
    sum(base_qty) as volume,
    sum(quote_qty) as quote_volume,
    count(*) as trade_count,
    sum(case when is_taker_buy then base_qty else 0 end) as taker_buy_base_volume,
    sum(case when is_taker_buy then quote_qty else 0 end) as taker_buy_quote_volume,
    min(trade_id) as first_trade_id,
    max(trade_id) as last_trade_id
from ordered
group by symbol, trade_date, open_time
