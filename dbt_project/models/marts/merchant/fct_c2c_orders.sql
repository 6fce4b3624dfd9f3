{#-
  One row per C2C order: its latest status, when it was seen paid and released, and the premium of its unit price over
  Binance's spot price at order time where a spot pair of that asset and fiat is in the warehouse.
  Times to pay and to release are upper bounds at the loader's poll resolution, and only known when a
  poll saw the order before that step (a first sight of an already completed order tells nothing).
-#}
{{ config(unique_key=['merchant_account', 'trade_date'], tags=['merchant']) }}

with orders as (
    select * from {{ ref('stg_c2c__orders') }}
    where {{ partition_window() }}
),

history as (
    select
        order_number,
        min(case when order_status in ('PENDING', 'TRADING') then observed_at end) as unpaid_seen_at,
        min(case when order_status in ('BUYER_PAYED', 'DISTRIBUTING', 'IN_APPEAL') then observed_at end)
            as paid_unreleased_seen_at,
        min(case when order_status in ('BUYER_PAYED', 'DISTRIBUTING', 'IN_APPEAL', 'COMPLETED') then observed_at end)
            as paid_seen_at,
        min(case when order_status = 'COMPLETED' then observed_at end) as completed_seen_at,
        max(case when order_status = 'IN_APPEAL' then 1 else 0 end) as was_appealed,
        count(*) as statuses_seen
    from {{ ref('stg_c2c__order_status_history') }}
    -- a history row has no spot pair: window it by account (a market run's `symbols` leaves it, and the
    -- orders, empty, so the merchant marts are left as they are)
    where {{ partition_window(symbol_column='merchant_account') }}
    group by order_number
),

spot as (
    select symbol, open_time, close
    from {{ ref('fct_bars_1m') }}
    where {{ partition_window(symbol_column='symbol') }}
)

select
    o.merchant_account,
    o.trade_date,
    o.order_number,
    o.adv_no,
    o.trade_type,
    o.asset,
    o.fiat,
    o.symbol,
    o.amount,
    o.unit_price,
    o.total_price,
    o.commission,
    o.order_status,
    o.order_status = 'COMPLETED' as is_completed,
    o.order_status in ('CANCELLED', 'CANCELLED_BY_SYSTEM') as is_cancelled,
    o.created_at,
    h.paid_seen_at,
    h.completed_seen_at,
    case when h.unpaid_seen_at is not null
        then {{ dbt.datediff('o.created_at', 'h.paid_seen_at', 'second') }} / 60.0 end as minutes_to_pay,
    case when h.paid_unreleased_seen_at is not null
        then {{ dbt.datediff('h.paid_seen_at', 'h.completed_seen_at', 'second') }} / 60.0 end as minutes_to_release,
    coalesce(h.was_appealed, 0) = 1 as was_appealed,
    coalesce(h.statuses_seen, 0) as statuses_seen,
    o.counterparty_nickname,
    o.advertisement_role,
    o.pay_method_name,
    s.close as spot_price,
    o.unit_price / nullif(s.close, 0) - 1 as premium_over_spot
from orders as o
left join history as h on h.order_number = o.order_number
left join spot as s
    on s.symbol = o.symbol
    and s.open_time = {{ dbt.date_trunc('minute', 'o.created_at') }}
