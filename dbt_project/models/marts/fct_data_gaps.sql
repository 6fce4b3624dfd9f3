{#-
  Where the data has holes, one row per gap: runs of minutes without a single trade ('no_trades'),
  and jumps in the trade ids inside a day ('trade_id_gap'). Quiet markets and exchange outages make
  real gaps; this is the list to look at, not an error.
-#}
with minutely as (
    select * from {{ ref('int_trades__minutely') }}
    where {{ partition_window() }}
),

trades as (
    select * from {{ ref('stg_binance__spot_trades') }}
    where {{ partition_window() }}
),

days as (
    select distinct symbol, trade_date from minutely
),

minute_grid as (
    select
        days.symbol,
        days.trade_date,
        minutes.minute_of_day,
        {{ dbt.dateadd('minute', 'minutes.minute_of_day', 'cast(days.trade_date as timestamp)') }} as minute_at
    from days
    cross join (select minute_of_day from generate_series(0, 1439) as series(minute_of_day)) as minutes
),

empty_minutes as (
    select
        minute_grid.symbol,
        minute_grid.trade_date,
        minute_grid.minute_at,
        minute_grid.minute_of_day - row_number() over (
            partition by minute_grid.symbol, minute_grid.trade_date order by minute_grid.minute_of_day
        ) as island
    from minute_grid
    left join minutely
        on minutely.symbol = minute_grid.symbol
        and minutely.open_time = minute_grid.minute_at
    where minutely.open_time is null
),

no_trade_runs as (
    select
        symbol,
        trade_date,
        'no_trades' as gap_type,
        min(minute_at) as gap_start,
        {{ dbt.dateadd('minute', 1, 'max(minute_at)') }} as gap_end,
        cast(count(*) as bigint) as missing_count,
        cast(null as bigint) as first_missing_id,
        cast(null as bigint) as last_missing_id
    from empty_minutes
    group by symbol, trade_date, island
),

id_steps as (
    select
        symbol,
        trade_date,
        trade_id,
        traded_at,
        lead(trade_id) over (partition by symbol, trade_date order by trade_id) as next_trade_id,
        lead(traded_at) over (partition by symbol, trade_date order by trade_id) as next_traded_at
    from trades
),

id_gaps as (
    select
        symbol,
        trade_date,
        'trade_id_gap' as gap_type,
        traded_at as gap_start,
        next_traded_at as gap_end,
        next_trade_id - trade_id - 1 as missing_count,
        trade_id + 1 as first_missing_id,
        next_trade_id - 1 as last_missing_id
    from id_steps
    where next_trade_id - trade_id > 1
)

select * from no_trade_runs
union all
select * from id_gaps
