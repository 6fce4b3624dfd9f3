"""pandera models of the raw warehouse tables, and the Binance-specific checks pandera does not cover.

No Dagster here. The models are the one declaration of the raw rows' rules: `arrow_audit.py` reads them
(dtypes, nullability, built-in checks) and runs them on Arrow tables, which is how the loads check rows;
`validate_partition` runs them with pandera itself on a frame. The rules beyond pandera's built-ins are
written once, on Arrow arrays (`row_rules.py`), and declared here as dataframe checks of the same name.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
from pandera.typing import Series

from binance_assets.binance.duplicates import int_values
from binance_assets.binance.schema import Market
from binance_assets.ingestion import row_rules as rules

# Binance did not exist before this; anything earlier is a unit or parsing error.
EARLIEST = pd.Timestamp("2017-01-01")


class _PartitionedRaw(pa.DataFrameModel):
    symbol: Series[str] = pa.Field(str_matches=r"^[A-Z0-9]{2,20}$")
    trade_date: Series[pd.Timestamp] = pa.Field(ge=EARLIEST)

    class Config:
        coerce = True
        strict = True


class _TradesLike(_PartitionedRaw):
    """What trades and aggregated trades share: positive price and size, a time inside the day."""

    price: Series[float] = pa.Field(gt=0)
    qty: Series[float] = pa.Field(gt=0)
    trade_time: Series[pd.Timestamp] = pa.Field(ge=EARLIEST)
    is_buyer_maker: Series[bool]
    is_best_match: Series[pd.BooleanDtype] = pa.Field(nullable=True)

    # Named by the method: pandera drops a custom `name=` on checks inherited by a subclass.
    @pa.dataframe_check
    def trade_time_inside_partition_day(cls, df: pd.DataFrame) -> Series[bool]:
        return on_frame(rules.TRADE_TIME_INSIDE_DAY, df)


class SpotTradesModel(_TradesLike):
    """raw.spot_trades: one row per trade."""

    trade_id: Series[int] = pa.Field(ge=0)
    quote_qty: Series[float] = pa.Field(gt=0)

    @pa.dataframe_check(name="quote_qty = price * qty (to 1e-6 relative)")
    def quote_is_price_times_qty(cls, df: pd.DataFrame) -> Series[bool]:
        return on_frame(rules.QUOTE_IS_PRICE_TIMES_QTY, df)


class CoinMTradesModel(_TradesLike):
    """COIN-M futures trades (`validate-archive` only): `qty` counts contracts, `base_qty` is their worth in
    the base asset (contract size / price each: the contract size is not in the file, so only its sign is
    checked)."""

    trade_id: Series[int] = pa.Field(ge=0)
    base_qty: Series[float] = pa.Field(gt=0)


class SpotAggTradesModel(_TradesLike):
    """raw.spot_agg_trades: one row per aggregated trade (fills of one taker order at one price)."""

    agg_trade_id: Series[int] = pa.Field(ge=0)
    first_trade_id: Series[int] = pa.Field(ge=0)
    last_trade_id: Series[int] = pa.Field(ge=0)

    @pa.dataframe_check(name="first_trade_id <= last_trade_id")
    def trade_id_range(cls, df: pd.DataFrame) -> Series[bool]:
        return on_frame(rules.TRADE_ID_RANGE, df)


class SpotKlines1mModel(_PartitionedRaw):
    """raw.spot_klines_1m: one row per symbol and minute, as Binance publishes it (the close-time check
    follows the interval: `partition_schema` adds it)."""

    open_time: Series[pd.Timestamp] = pa.Field(ge=EARLIEST)
    open: Series[float] = pa.Field(gt=0)
    high: Series[float] = pa.Field(gt=0)
    low: Series[float] = pa.Field(gt=0)
    close: Series[float] = pa.Field(gt=0)
    volume: Series[float] = pa.Field(ge=0)
    close_time: Series[pd.Timestamp] = pa.Field(ge=EARLIEST)
    quote_volume: Series[float] = pa.Field(ge=0)
    trade_count: Series[int] = pa.Field(ge=0)
    taker_buy_base_volume: Series[float] = pa.Field(ge=0)
    taker_buy_quote_volume: Series[float] = pa.Field(ge=0)

    @pa.dataframe_check(name="open_time inside the partition's UTC day")
    def time_inside_day(cls, df: pd.DataFrame) -> Series[bool]:
        return on_frame(rules.OPEN_TIME_INSIDE_DAY, df)

    @pa.dataframe_check(name="low <= open, close <= high")
    def ohlc_order(cls, df: pd.DataFrame) -> Series[bool]:
        return on_frame(rules.OHLC_ORDER, df)

    @pa.dataframe_check(name="taker buy volume <= volume")
    def taker_within_volume(cls, df: pd.DataFrame) -> Series[bool]:
        return on_frame(rules.TAKER_WITHIN_VOLUME, df)


# What ingestion attaches to each loaded dataset of the registry (`binance.datasets`), keyed by its id:
# the pandera model its rows are checked against and its raw asset's description.
MODELS: dict[str, type[_PartitionedRaw]] = {
    "spot_trades": SpotTradesModel,
    "spot_agg_trades": SpotAggTradesModel,
    "spot_klines_1m": SpotKlines1mModel,
    # USD-M futures rows obey the same rules (no isBestMatch: null, which the models allow).
    "um_trades": SpotTradesModel,
    "um_agg_trades": SpotAggTradesModel,
    "um_klines_1m": SpotKlines1mModel,
}
DESCRIPTIONS: dict[str, str] = {
    "spot_trades": "Every spot trade of a symbol on a UTC day, from data.binance.vision `trades` archives.",
    "spot_agg_trades": "Spot aggregated trades (fills of one taker order at one price), from `aggTrades` archives.",
    "spot_klines_1m": "Spot 1-minute klines as Binance publishes them, from `klines/<SYMBOL>/1m` archives.",
    "um_trades": "Every USD-M futures trade of a symbol on a UTC day, from `data/futures/um/daily/trades` archives.",
    "um_agg_trades": "USD-M futures aggregated trades, from `data/futures/um/daily/aggTrades` archives.",
    "um_klines_1m": "USD-M futures 1-minute klines as Binance publishes them, from `futures/um/daily/klines` archives.",
}


# Futures symbols may carry a contract suffix: BTCUSD_PERP, BTCUSDT_250328.
FUTURES_SYMBOL_PATTERN = r"^[A-Z0-9]{2,20}(?:_[A-Z0-9]{1,12})?$"


def on_frame(rule: rules.RowRule, df: pd.DataFrame) -> pd.Series:
    """A row rule (`row_rules.py`) on a frame's columns, as pandera's dataframe checks return it."""
    passed = rule.evaluate(*(pyarrow.array(df[column]) for column in rule.columns))
    return pd.Series(passed.to_numpy(zero_copy_only=False), index=df.index, dtype=bool)


def close_time_check(interval: str) -> pa.Check:
    """close_time is the last instant of the `interval` kline that opens at open_time (`row_rules`)."""
    rule = rules.close_time_rule(interval)
    return pa.Check(lambda df: on_frame(rule, df), name=rule.name)


def row_rule(check: pa.Check, interval: str = "1m") -> rules.RowRule | None:
    """The Arrow form of a dataframe check of these models (by its name); None if it has none."""
    if check.name in rules.ROW_RULES:
        return rules.ROW_RULES[check.name]
    close_time = rules.close_time_rule(interval)
    return close_time if check.name == close_time.name else None


@functools.cache
def partition_schema(table_name: str, market: Market | None = None, interval: str = "1m") -> pa.DataFrameSchema:
    """The pandera schema rows of `table_name`'s kind are checked against: its model, as the market's
    archives have it (COIN-M trades carry base_qty; futures symbols a suffix), klines' close time for
    `interval` (the raw table holds 1m klines; `validate-archive` checks other intervals too)."""
    coin_m_trades = table_name == "spot_trades" and market is Market.FUTURES_CM
    schema = copy.deepcopy((CoinMTradesModel if coin_m_trades else MODELS[table_name]).to_schema())
    if market in (Market.FUTURES_UM, Market.FUTURES_CM):
        schema = schema.update_column("symbol", checks=[pa.Check.str_matches(FUTURES_SYMBOL_PATTERN)])
    if "close_time" in schema.columns:
        schema.checks = [*schema.checks, close_time_check(interval)]
    return schema


@dataclass(frozen=True)
class SchemaOutcome:
    passed: bool
    failure_cases: pd.DataFrame  # pandera's failure cases; empty when passed

    @property
    def failure_count(self) -> int:
        return len(self.failure_cases)


def validate_partition(
    table_name: str, frame: pd.DataFrame, *, market: Market | None = None, interval: str = "1m"
) -> SchemaOutcome:
    """Validate one partition lazily, collecting every failure instead of stopping at the first."""
    try:
        partition_schema(table_name, market, interval).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return SchemaOutcome(passed=False, failure_cases=errors.failure_cases)
    return SchemaOutcome(passed=True, failure_cases=pd.DataFrame())


@dataclass(frozen=True)
class IdGap:
    after_id: int
    before_id: int

    @property
    def missing(self) -> int:
        return self.before_id - self.after_id - 1


def find_id_gaps(ids: Any) -> list[IdGap]:
    """Holes in a run of ids (an Arrow column, a Series or an array; sorted first). Gaps are legitimate after
    exchange outages: report them."""
    ordered = int_values(ids)
    if len(ordered) > 1 and not bool(np.all(ordered[1:] > ordered[:-1])):  # archives come sorted: skip the sort
        ordered = np.unique(ordered)
    if len(ordered) < 2:
        return []
    jumps = (ordered[1:] - ordered[:-1]) > 1
    return [IdGap(int(a), int(b)) for a, b in zip(ordered[:-1][jumps], ordered[1:][jumps], strict=True)]
