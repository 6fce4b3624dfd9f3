"""Warehouse timestamps as Binance's REST answers carry them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def ms_column(column) -> pa.Array:
    """Timestamps (UTC, naive, µs) as epoch milliseconds, floored (Binance's REST times are whole ms)."""
    us = column.cast(pa.timestamp("us")).cast(pa.int64()).to_numpy(zero_copy_only=False)
    return pa.array(np.floor_divide(us, 1000))
