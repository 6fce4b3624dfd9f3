"""dbt transforms (staging -> intermediate -> marts) wired into Dagster with dagster-dbt."""
