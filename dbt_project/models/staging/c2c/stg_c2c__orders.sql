{#- The merchant's C2C orders, renamed and cast; money as exact numerics from Binance's decimal strings.
    Without a merchant (the raw table was never written) the model is empty, with the same columns. -#}
{{ config(tags=['merchant']) }}
{%- set src = source('raw_merchant', 'c2c_orders') -%}
{% if not source_is_loaded(src) -%}
{{ empty_select([
    ["merchant_account", "varchar"],
    ["trade_date", "date"],
    ["order_number", "varchar"],
    ["adv_no", "varchar"],
    ["trade_type", "varchar"],
    ["asset", "varchar"],
    ["fiat", "varchar"],
    ["symbol", "varchar"],
    ["amount", "numeric(38, 8)"],
    ["unit_price", "numeric(38, 8)"],
    ["total_price", "numeric(38, 8)"],
    ["commission", "numeric(38, 8)"],
    ["order_status", "varchar"],
    ["created_at", "timestamp"],
    ["counterparty_nickname", "varchar"],
    ["advertisement_role", "varchar"],
    ["pay_method_name", "varchar"],
    ["observed_at", "timestamp"]
]) }}
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
