{#- (symbol, trade_date) groups that do not have exactly `minutes` rows: the minute grid has holes or copies. -#}
{% test minutes_per_day(model, minutes=1440) %}
select symbol, trade_date, count(*) as minute_rows
from {{ model }}
group by symbol, trade_date
having count(*) <> {{ minutes }}
{% endtest %}
