{#-
  dbt calls this to pick the rows a generic test reads. Scoped to the run's partition window (every
  staging and mart model has symbol and trade_date), so a run's tests cost one window of work, not
  the whole history. With no window (a full run) it reads everything, as dbt's default does.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- set window = partition_window_spec() -%}
    {%- set windowed = window.min_date or window.max_date or window.symbols -%}
    {%- if where or windowed -%}
        (select * from {{ relation }} where {{ partition_window() }}{% if where %} and ({{ where }}){% endif %}) dbt_subquery
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
