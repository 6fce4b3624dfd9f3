{#- Each status a C2C order was observed in, with when it was first seen (poll resolution).
    Empty, with the same columns, when no merchant has been loaded. -#}
{{ config(tags=['merchant']) }}
{%- set src = source('raw_merchant', 'c2c_order_status_history') -%}
{% if not source_is_loaded(src) -%}
{{ empty_select([
    ["merchant_account", "varchar"],
    ["trade_date", "date"],
    ["order_number", "varchar"],
    ["order_status", "varchar"],
    ["observed_at", "timestamp"]
]) }}
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
