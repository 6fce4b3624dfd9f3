{#-
  The 1m bars of a market, shared by the spot and the USD-M futures models (each model passes its own
  relations): `trades_minutely(trades)` rolls a staging trades model up to symbol and minute;
  `bars_1m(minutely, klines)` builds the complete minute grid from it (see fct_bars_1m).
-#}
{% macro trades_minutely(trades) -%}
with trades as (
    select * from {{ trades }}
),

ordered as (
    select
        symbol,
        trade_date,
        {{ dbt.date_trunc('minute', 'traded_at') }} as open_time,
        trade_id,
        price,
        base_qty,
        quote_qty,
        is_taker_buy,
        row_number() over (
            partition by symbol, trade_date, {{ dbt.date_trunc('minute', 'traded_at') }} order by trade_id
        ) as number_from_open,
        row_number() over (
            partition by symbol, trade_date, {{ dbt.date_trunc('minute', 'traded_at') }} order by trade_id desc
        ) as number_from_close
    from trades
)

select
    symbol,
    trade_date,
    open_time,
    max(case when number_from_open = 1 then price end) as open,
    max(price) as high,
    min(price) as low,
    max(case when number_from_close = 1 then price end) as close,
    sum(base_qty) as volume,
    sum(quote_qty) as quote_volume,
    count(*) as trade_count,
    sum(case when is_taker_buy then base_qty else 0 end) as taker_buy_base_volume,
    sum(case when is_taker_buy then quote_qty else 0 end) as taker_buy_quote_volume,
    min(trade_id) as first_trade_id,
    max(trade_id) as last_trade_id
from ordered
group by symbol, trade_date, open_time
{%- endmacro %}

{% macro bars_1m(minutely, klines) -%}
with minutely as (
    select * from {{ minutely }}
    where {{ partition_window() }}
),

klines as (
    select symbol, trade_date, open_time, open from {{ klines }}
    where {{ partition_window() }}
),

-- One row per (symbol, day) with trades: the open of its first traded minute.
days as (
    select symbol, trade_date, open as first_open
    from (
        select
            symbol,
            trade_date,
            open,
            row_number() over (partition by symbol, trade_date order by open_time) as minute_rank
        from minutely
    ) as ranked_minutes
    where minute_rank = 1
),

day_open as (
    select
        days.symbol,
        days.trade_date,
        coalesce(klines.open, days.first_open) as price
    from days
    left join klines
        on klines.symbol = days.symbol
        and klines.open_time = cast(days.trade_date as timestamp)
),

minute_grid as (
    select
        day_open.symbol,
        day_open.trade_date,
        day_open.price as day_open_price,
        {{ dbt.dateadd('minute', 'minutes.minute_of_day', 'cast(day_open.trade_date as timestamp)') }} as open_time
    from day_open
    cross join (select minute_of_day from generate_series(0, 1439) as series(minute_of_day)) as minutes
),

-- The carried close without self-joins (PostgreSQL misestimates the deduplicated trades as a handful of
-- rows and picked nested loops over them: minutes for a few days): each traded minute starts a group that
-- runs until the next traded minute, and the group's only close is the one to carry.
gridded as (
    select
        minute_grid.symbol,
        minute_grid.trade_date,
        minute_grid.open_time,
        minute_grid.day_open_price,
        bar.open_time is not null as has_trades,
        bar.open,
        bar.high,
        bar.low,
        bar.close,
        bar.volume,
        bar.quote_volume,
        bar.trade_count,
        bar.taker_buy_base_volume,
        bar.taker_buy_quote_volume,
        bar.first_trade_id,
        bar.last_trade_id,
        count(bar.open_time) over (
            partition by minute_grid.symbol, minute_grid.trade_date
            order by minute_grid.open_time
            rows between unbounded preceding and current row
        ) as traded_group
    from minute_grid
    left join minutely as bar
        on bar.symbol = minute_grid.symbol
        and bar.open_time = minute_grid.open_time
),

filled as (
    select
        gridded.*,
        coalesce(
            max(close) over (partition by symbol, trade_date, traded_group),
            day_open_price
        ) as carried_close
    from gridded
)

select
    symbol,
    trade_date,
    open_time,
    case when has_trades then open else carried_close end as open,
    case when has_trades then high else carried_close end as high,
    case when has_trades then low else carried_close end as low,
    case when has_trades then close else carried_close end as close,
    coalesce(volume, 0) as volume,
    {{ dbt.dateadd('microsecond', -1, dbt.dateadd('minute', 1, 'open_time')) }} as close_time,
    coalesce(quote_volume, 0) as quote_volume,
    cast(coalesce(trade_count, 0) as bigint) as trade_count,
    coalesce(taker_buy_base_volume, 0) as taker_buy_base_volume,
    coalesce(taker_buy_quote_volume, 0) as taker_buy_quote_volume,
    coalesce(quote_volume / nullif(volume, 0), carried_close) as vwap,
    first_trade_id,
    last_trade_id
from filled
{%- endmacro %}
