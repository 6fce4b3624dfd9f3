{#- The rows where the 1m bars built from trades (`bars_model`) disagree with the klines Binance publishes
    (`klines_model`); see tests/assert_bars_match_archive_klines.sql. One macro for every market's test. -#}
{% macro bars_match_klines(bars_model, klines_model) %}
with bars as (
    select * from {{ ref(bars_model) }} where {{ partition_window() }}
),

klines as (
    select * from {{ ref(klines_model) }} where {{ partition_window() }}
),

compared as (
    select
        coalesce(bars.symbol, klines.symbol) as symbol,
        coalesce(bars.trade_date, klines.trade_date) as trade_date,
        coalesce(bars.open_time, klines.open_time) as open_time,
        case
            when klines.open_time is null then 'klines missing'
            when bars.open_time is null then 'bar missing'
            else 'values differ'
        end as problem,
        bars.trade_count as bar_trades,
        klines.trade_count as kline_trades,
        bars.open as bar_open, klines.open as kline_open,
        bars.high as bar_high, klines.high as kline_high,
        bars.low as bar_low, klines.low as kline_low,
        bars.close as bar_close, klines.close as kline_close,
        bars.volume as bar_volume, klines.volume as kline_volume,
        bars.quote_volume as bar_quote_volume, klines.quote_volume as kline_quote_volume,
        bars.taker_buy_base_volume as bar_taker_buy, klines.taker_buy_base_volume as kline_taker_buy
    from bars
    full outer join klines
        on bars.symbol = klines.symbol
        and bars.open_time = klines.open_time
)

select compared.*
from compared
where bar_trades is null
   or kline_trades is null
   or bar_trades <> kline_trades
   or bar_open <> kline_open
   or bar_high <> kline_high
   or bar_low <> kline_low
   or bar_close <> kline_close
   or abs(bar_volume - kline_volume) > 1e-9 * greatest(abs(kline_volume), 1)
   or abs(bar_quote_volume - kline_quote_volume) > 1e-9 * greatest(abs(kline_quote_volume), 1)
   or abs(bar_taker_buy - kline_taker_buy) > 1e-9 * greatest(abs(kline_taker_buy), 1)
{% endmacro %}
