"""The kline close-time rule against calendar arithmetic done here with pandas (not the code under test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from binance_assets.binance.errors import UnknownInterval
from binance_assets.binance.intervals import close_times, kline_interval

# Binance's intervals (archive spelling) and the next open after an open time, by calendar arithmetic.
NEXT_OPEN = {
    "1s": lambda t: t + pd.Timedelta(seconds=1),
    "1m": lambda t: t + pd.Timedelta(minutes=1),
    "3m": lambda t: t + pd.Timedelta(minutes=3),
    "5m": lambda t: t + pd.Timedelta(minutes=5),
    "15m": lambda t: t + pd.Timedelta(minutes=15),
    "30m": lambda t: t + pd.Timedelta(minutes=30),
    "1h": lambda t: t + pd.Timedelta(hours=1),
    "2h": lambda t: t + pd.Timedelta(hours=2),
    "4h": lambda t: t + pd.Timedelta(hours=4),
    "6h": lambda t: t + pd.Timedelta(hours=6),
    "8h": lambda t: t + pd.Timedelta(hours=8),
    "12h": lambda t: t + pd.Timedelta(hours=12),
    "1d": lambda t: t + pd.Timedelta(days=1),
    "3d": lambda t: t + pd.Timedelta(days=3),
    "1w": lambda t: t + pd.Timedelta(weeks=1),
    "1mo": lambda t: t + pd.offsets.MonthBegin(1),
}
# Open times: 2024-02-01 (a leap February), 2024-12-30 (a Monday), 2025-01-01, 2025-01-01 12:00.
OPENS = [pd.Timestamp(t) for t in ("2024-02-01", "2024-12-30", "2025-01-01", "2025-01-01 12:00")]


@pytest.mark.parametrize("interval", list(NEXT_OPEN))
@pytest.mark.parametrize(("unit", "one"), [("ms", pd.Timedelta(milliseconds=1)), ("us", pd.Timedelta(microseconds=1))])
def test_close_time_is_the_last_unit_before_the_next_open(interval, unit, one):
    # Klines open at multiples of their interval; weeks on Mondays, months on the 1st.
    midnight = [t for t in OPENS if t == t.normalize()]
    opens = {"1mo": [t for t in midnight if t.day == 1], "1w": [t for t in midnight if t.dayofweek == 0]}.get(
        interval, OPENS
    )
    expected = [NEXT_OPEN[interval](t) - one for t in opens]
    open_values = np.array([t.value // (1_000_000 if unit == "ms" else 1_000) for t in opens])
    got = pd.to_datetime(close_times(open_values, interval, unit), unit=unit)
    assert list(got) == expected


def test_month_names_and_unknown_intervals():
    assert kline_interval("1mo") == kline_interval("1M") == "1M"
    # The 1mo kline of February 2024 closes at 2024-02-29 23:59:59.999 (a leap year).
    assert close_times(np.array([1706745600000]), "1mo").tolist() == [1709251199999]
    with pytest.raises(UnknownInterval, match="'7m' is not a Binance kline interval"):
        kline_interval("7m")
