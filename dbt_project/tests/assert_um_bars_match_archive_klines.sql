{#-
  USD-M futures, as assert_bars_match_archive_klines for spot: the 1m bars built from trades must equal
  the 1m klines Binance publishes, minute for minute: same trade count and OHLC, volumes equal up to float summation error. Returns the disagreeing minutes, scoped to
  the run's window. A minute present on one side only disagrees, so a (day, symbol) whose trades or
  klines are missing while the other side is loaded fails with its 1440 minutes; it never passes
  vacuously. (fct_um_bars_1m depends on both raw tables, so automation builds it, and runs this test, only
  once both sides of the day are loaded; a late file re-triggers it.)
-#}
{{ config(severity='error', tags=['reconciliation'], meta={'dagster': {'ref': {'name': 'fct_um_bars_1m'}}}) }}

with bars as (
    select * from {{ ref('fct_um_bars_1m') }} where {{ partition_window() }}
),

klines as (
    select * from {{ ref('stg_binance__um_klines_1m') }} where {{ partition_window() }}
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
