{#-
  The Dagster partition window passed as vars (min_date, max_date, symbols): a SQL predicate.
  With no vars the predicate is true, so a full refresh covers all partitions.
-#}
{% macro partition_window(date_column='trade_date', symbol_column='symbol') -%}
    {%- set min_date = var('min_date', none) -%}
    {%- set max_date = var('max_date', none) -%}
    {%- set symbols = var('symbols', []) -%}
    (1 = 1
    {%- if min_date %} and {{ date_column }} >= cast('{{ min_date }}' as date){% endif %}
    {%- if max_date %} and {{ date_column }} <= cast('{{ max_date }}' as date){% endif %}
    {%- if symbols %} and {{ symbol_column }} in ({% for s in symbols %}'{{ s }}'{{ "," if not loop.last }}{% endfor %}){% endif %})
{%- endmacro %}
