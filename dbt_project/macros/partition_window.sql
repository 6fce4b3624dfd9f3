{#-
  The Dagster partition window (min_date, max_date, symbols) as a SQL predicate. With no window the
  predicate is true, so a full refresh covers all partitions.

  Dagster passes the window in the environment variable BINANCE_ASSETS_DBT_WINDOW (JSON), read only while
  executing: a new window then never invalidates dbt's partial parsing (changed --vars make dbt re-parse
  the whole project, seconds per run). --vars min_date/max_date/symbols, when given, take precedence
  (a dbt command typed by hand).
-#}
{% macro partition_window_spec() -%}
    {%- set from_env = fromjson(env_var('BINANCE_ASSETS_DBT_WINDOW', '{}')) if execute else {} -%}
    {{ return({
        'min_date': var('min_date', none) or from_env.get('min_date'),
        'max_date': var('max_date', none) or from_env.get('max_date'),
        'symbols': var('symbols', []) or from_env.get('symbols', []),
    }) }}
{%- endmacro %}

{% macro partition_window(date_column='trade_date', symbol_column='symbol') -%}
    {%- set window = partition_window_spec() -%}
    (1 = 1
    {%- if window.min_date %} and {{ date_column }} >= cast('{{ window.min_date }}' as date){% endif %}
    {%- if window.max_date %} and {{ date_column }} <= cast('{{ window.max_date }}' as date){% endif %}
    {%- if window.symbols %} and {{ symbol_column }} in ({% for s in window.symbols %}'{{ s }}'{{ "," if not loop.last }}{% endfor %}){% endif %})
{%- endmacro %}
