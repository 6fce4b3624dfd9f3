{#- The merchant's C2C orders, renamed and cast; money as exact numerics from Binance's decimal strings.
    Without a merchant (the raw table was never written) the model is empty, with the same columns. -#}
{{ config(tags=['merchant']) }}
{%- set src = source('raw_merchant', 'c2c_orders') -%}
{%- set relation = adapter.get_relation(src.database, src.schema, src.identifier) if execute else none -%}

{% if relation is none and execute -%}
select
    cast(null as varchar) as merchant_account,
    cast(null as date) as trade_date,
    cast(null as varchar) as order_number,
    cast(null as varchar) as adv_no,
    cast(null as varchar) as trade_type,
    cast(null as varchar) as asset,
    cast(null as varchar) as fiat,
    cast(null as varchar) as symbol,
    cast(null as numeric(38, 8)) as amount,
    cast(null as numeric(38, 8)) as unit_price,
    cast(null as numeric(38, 8)) as total_price,
    cast(null as numeric(38, 8)) as commission,
    cast(null as varchar) as order_status,
    cast(null as timestamp) as created_at,
    cast(null as varchar) as counterparty_nickname,
    cast(null as varchar) as advertisement_role,
    cast(null as varchar) as pay_method_name,
    cast(null as timestamp) as observed_at
where 1 = 0
{%- else -%}
select
    symbol as merchant_account,
    trade_date,
    order_number,
    adv_no,
    trade_type,
    asset,
    fiat,
    asset || fiat as symbol,
    cast(amount_text as numeric(38, 8)) as amount,
    cast(unit_price_text as numeric(38, 8)) as unit_price,
    cast(total_price_text as numeric(38, 8)) as total_price,
    cast(coalesce(commission_text, '0') as numeric(38, 8)) as commission,
    order_status,
    create_time as created_at,
    counterparty_nickname,
    advertisement_role,
    pay_method_name,
    observed_at
from {{ src }}
where {{ partition_window() }}
{%- endif %}
