{#-
  One row per symbol and UTC day: OHLC, volumes, VWAP, realised volatility of 1m log returns,
  the distribution of trade sizes (in quote currency) and the taker buy/sell imbalance.
-#}
with bars as (
    -- minutes with trades: the empty minutes of the complete grid add no price, volume or return
    select * from {{ ref('fct_bars_1m') }}
    where {{ partition_window() }}
      and trade_count > 0
),

trades as (
    select * from {{ ref('stg_binance__spot_trades') }}
    where {{ partition_window() }}
),

bar_returns as (
    select
        *,
        ln(close / lag(close) over (partition by symbol, trade_date order by open_time)) as log_return,
        row_number() over (partition by symbol, trade_date order by open_time) as number_from_open,
        row_number() over (partition by symbol, trade_date order by open_time desc) as number_from_close
    from bars
),

daily_bars as (
    select
        symbol,
        trade_date,
        max(case when number_from_open = 1 then open end) as open,
        max(high) as high,
        min(low) as low,
        max(case when number_from_close = 1 then close end) as close,
        sum(volume) as volume,
        sum(quote_volume) as quote_volume,
        sum(trade_count) as trade_count,
        sum(taker_buy_base_volume) as taker_buy_base_volume,
        sum(taker_buy_quote_volume) as taker_buy_quote_volume,
        count(*) as active_minutes,
        sqrt(sum(log_return * log_return)) as realised_volatility
    from bar_returns
    group by symbol, trade_date
),

trade_sizes as (
    select
        symbol,
        trade_date,
        avg(quote_qty) as mean_trade_quote,
        percentile_cont(0.5) within group (order by quote_qty) as median_trade_quote,
        percentile_cont(0.9) within group (order by quote_qty) as p90_trade_quote,
        percentile_cont(0.99) within group (order by quote_qty) as p99_trade_quote,
        max(quote_qty) as max_trade_quote
    from trades
    group by symbol, trade_date
)

select
    daily_bars.symbol,
    daily_bars.trade_date,
    daily_bars.open,
    daily_bars.high,
    daily_bars.low,
    daily_bars.close,
    daily_bars.volume,
    daily_bars.quote_volume,
    cast(daily_bars.trade_count as bigint) as trade_count,
    daily_bars.quote_volume / nullif(daily_bars.volume, 0) as vwap,
    daily_bars.realised_volatility,
    daily_bars.active_minutes,
    trade_sizes.mean_trade_quote,
    trade_sizes.median_trade_quote,
    trade_sizes.p90_trade_quote,
    trade_sizes.p99_trade_quote,
    trade_sizes.max_trade_quote,
    daily_bars.taker_buy_quote_volume,
    daily_bars.quote_volume - daily_bars.taker_buy_quote_volume as taker_sell_quote_volume,
    (2 * daily_bars.taker_buy_quote_volume - daily_bars.quote_volume)
        / nullif(daily_bars.quote_volume, 0) as buy_sell_imbalance
from daily_bars
inner join trade_sizes
    on daily_bars.symbol = trade_sizes.symbol
    and daily_bars.trade_date = trade_sizes.trade_date
