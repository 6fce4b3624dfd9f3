{#- Per merchant account, day, asset, fiat and side: volume, orders, completion and cancellation rates,
    average unit price, commission, counterparties, premium over spot, times to pay and release. -#}
{{ config(unique_key=['merchant_account', 'trade_date'], tags=['merchant']) }}

with orders as (
    select * from {{ ref('fct_c2c_orders') }}
    where {{ partition_window() }}
)

select
    merchant_account,
    trade_date,
    asset,
    fiat,
    symbol,
    trade_type,
    count(*) as order_count,
    sum(case when is_completed then 1 else 0 end) as completed_orders,
    sum(case when is_cancelled then 1 else 0 end) as cancelled_orders,
    1.0 * sum(case when is_completed then 1 else 0 end) / count(*) as completion_rate,
    1.0 * sum(case when is_cancelled then 1 else 0 end) / count(*) as cancellation_rate,
    coalesce(sum(case when is_completed then amount end), 0) as volume,
    coalesce(sum(case when is_completed then total_price end), 0) as fiat_volume,
    sum(case when is_completed then total_price end) / nullif(sum(case when is_completed then amount end), 0)
        as avg_unit_price,
    coalesce(sum(case when is_completed then commission end), 0) as commission,
    count(distinct counterparty_nickname) as counterparties,
    avg(premium_over_spot) as avg_premium_over_spot,
    avg(minutes_to_pay) as avg_minutes_to_pay,
    avg(minutes_to_release) as avg_minutes_to_release
from orders
group by merchant_account, trade_date, asset, fiat, symbol, trade_type
