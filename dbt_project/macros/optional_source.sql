{#- A source that exists only once something was loaded into it (the merchant's raw tables): true when the
    relation is there. At parse time (execute is false) it answers true, so refs and sources are recorded. -#}
{% macro source_is_loaded(src) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(adapter.get_relation(src.database, src.schema, src.identifier) is not none) }}
{%- endmacro %}

{#- An empty result with the model's columns and types, for a source nothing has been loaded into yet.
    columns: a list of [name, type] pairs, in the model's column order. -#}
{% macro empty_select(columns) -%}
select
{%- for name, type in columns %}
    cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
{%- endfor %}
where 1 = 0
{%- endmacro %}
