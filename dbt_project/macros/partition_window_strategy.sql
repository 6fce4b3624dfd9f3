{#-
  Incremental strategy `partition_window`: replace exactly the Dagster partition window.

  dbt's delete+insert deletes only the keys present in the new result, so a re-loaded day that now yields
  no row for a key (a replaced archive without the gap it had) would keep the old rows forever. This
  strategy deletes every row of the window (partition_window(): min_date, max_date, symbols; everything without one)
  and inserts the new result, in the model's transaction: an incremental run equals a full refresh.
  Every model using it must select only rows inside partition_window(); rows outside it are refused.
  Works with dbt-duckdb and dbt-postgres (both resolve `get_incremental_<strategy>_sql`).
-#}
{% macro get_incremental_partition_window_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set outside = run_query('select count(*) from ' ~ source ~ ' where not ' ~ partition_window()) -%}
    {%- if execute and outside.columns[0].values()[0] > 0 -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ': ' ~ outside.columns[0].values()[0] ~ ' rows lie outside the partition window '
            ~ partition_window() ~ '; filter the model with partition_window()') }}
    {%- endif -%}
    delete from {{ target }} where {{ partition_window() }};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}
