"""pandera model of the minute feature table (`compute_minute_features` output), and a lazy validator.

The model accepts the frame as computed and as read back from the warehouse: ``trade_date`` as
``datetime.date`` objects (coerced from timestamps too) and ``label_up`` as pandas ``boolean`` or as an
object column of True/False/None (coerced).
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines import pandas_engine
from pandera.typing import Series

from binance_assets.features.compute import FEATURE_COLUMNS, MINUTES_PER_DAY

_TOLERANCE = 1e-9
_FINITE_COLUMNS = [*FEATURE_COLUMNS, "label_forward_return"]


class MinuteFeaturesModel(pa.DataFrameModel):
    """One row per symbol and minute of a UTC day; features are finite or null."""

    symbol: Series[str] = pa.Field(str_matches=r"^[A-Z0-9]{2,20}$")
    trade_date: Series[pandas_engine.Date] = pa.Field(coerce=True)
    minute: Series[pd.Timestamp]

    log_ret_1m: Series[float] = pa.Field(nullable=True)
    log_ret_5m: Series[float] = pa.Field(nullable=True)
    log_ret_15m: Series[float] = pa.Field(nullable=True)
    log_ret_60m: Series[float] = pa.Field(nullable=True)
    realized_vol_15m: Series[float] = pa.Field(nullable=True, ge=0)
    realized_vol_60m: Series[float] = pa.Field(nullable=True, ge=0)
    volume_z_60m: Series[float] = pa.Field(nullable=True)
    trade_count_z_60m: Series[float] = pa.Field(nullable=True)
    taker_imbalance_1m: Series[float] = pa.Field(nullable=True, ge=-1 - _TOLERANCE, le=1 + _TOLERANCE)
    taker_imbalance_5m: Series[float] = pa.Field(nullable=True, ge=-1 - _TOLERANCE, le=1 + _TOLERANCE)
    vwap_distance: Series[float] = pa.Field(nullable=True)
    hl_spread: Series[float] = pa.Field(nullable=True, ge=-_TOLERANCE)

    label_forward_return: Series[float] = pa.Field(nullable=True)
    label_up: Series[pd.BooleanDtype] = pa.Field(nullable=True, coerce=True)

    class Config:
        strict = True
        unique: ClassVar[list[str]] = ["symbol", "minute"]

    @pa.check(*_FINITE_COLUMNS, name="finite or null")
    def finite_or_null(cls, series: Series[float]) -> Series[bool]:
        return pd.Series(np.isfinite(series.to_numpy(dtype=float)), index=series.index)

    @pa.dataframe_check(name="minute is a whole minute inside trade_date")
    def minute_inside_day(cls, df: pd.DataFrame) -> Series[bool]:
        minute = pd.to_datetime(df["minute"])
        start = pd.to_datetime(pd.Series(df["trade_date"], index=df.index).astype(str))
        return (minute >= start) & (minute < start + pd.Timedelta(days=1)) & (minute == minute.dt.floor("min"))

    @pa.dataframe_check(name=f"{MINUTES_PER_DAY} rows per symbol and trade_date")
    def one_row_per_minute(cls, df: pd.DataFrame) -> bool:
        # A scalar outcome: one failure case, not one per row and column. With `unique` and
        # `minute_inside_day`, 1440 rows per day means every minute is there exactly once.
        keys = [df["symbol"].astype(str), df["trade_date"].astype(str)]
        return bool((df.groupby(keys, sort=False).size() == MINUTES_PER_DAY).all())

    @pa.dataframe_check(name="label_up = label_forward_return > 0 (both null together)")
    def label_consistent(cls, df: pd.DataFrame) -> Series[bool]:
        ret = df["label_forward_return"].astype(float)
        up = pd.array(df["label_up"], dtype="boolean")
        both_null = ret.isna().to_numpy() & pd.isna(up)
        agree = (ret > 0).to_numpy() == up.fillna(False).to_numpy(dtype=bool)
        return pd.Series(both_null | (ret.notna().to_numpy() & ~pd.isna(up) & agree), index=df.index)


class FeatureValidation(NamedTuple):
    passed: bool
    failure_cases: pd.DataFrame  # pandera's failure cases (schema_context, column, check, index, ...); empty if passed


def validate_features(frame: pd.DataFrame) -> FeatureValidation:
    """Validate lazily (every failure collected); unpacks as ``passed, failure_cases``.

    The frame is validated with a fresh RangeIndex, so failure-case ``index`` values are row positions.
    """
    try:
        MinuteFeaturesModel.validate(frame.reset_index(drop=True), lazy=True)
    except pa.errors.SchemaErrors as errors:
        return FeatureValidation(False, errors.failure_cases)
    return FeatureValidation(True, pd.DataFrame())
