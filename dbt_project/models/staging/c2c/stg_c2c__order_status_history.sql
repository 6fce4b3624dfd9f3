{#- Each status a C2C order was observed in, with when it was first seen (poll resolution).
    Empty, with the same columns, when no merchant has been loaded. -#}
{{ config(tags=['merchant']) }}
{%- set src = source('raw_merchant', 'c2c_order_status_history') -%}
{%- set relation = adapter.get_relation(src.database, src.schema, src.identifier) if execute else none -%}

{% if relation is none and execute -%}
select
    cast(null as varchar) as merchant_account,
    cast(null as date) as trade_date,
    cast(null as varchar) as order_number,
    cast(null as varchar) as order_status,
    cast(null as timestamp) as observed_at
where 1 = 0
{%- else -%}
select
    symbol as merchant_account,
    trade_date,
    order_number,
    order_status,
    observed_at
from {{ src }}
where {{ partition_window() }}
{%- endif %}
