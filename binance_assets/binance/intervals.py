"""Binance's kline intervals and the close-time rule: one declaration for the archive checks and the API.

A kline is named by its open time and closes at the last instant before the next one opens: open time +
interval - 1 unit (1 ms in REST answers and millisecond archives, 1 µs in the microsecond spot archives
since 2025-01-01); a `1M` kline closes at the last instant of its calendar month. The archive paths and
file names write `1M` as `1mo` (for case-insensitive file systems).
"""

from __future__ import annotations

import numpy as np

from .errors import UnknownInterval

_SECOND_MS = 1000
_MINUTE_MS = 60 * _SECOND_MS
_HOUR_MS = 60 * _MINUTE_MS
_DAY_MS = 24 * _HOUR_MS

# Interval (as the REST API names it) -> its length in ms; None: a calendar month.
INTERVAL_MS: dict[str, int | None] = {
    "1s": _SECOND_MS,
    "1m": _MINUTE_MS,
    "3m": 3 * _MINUTE_MS,
    "5m": 5 * _MINUTE_MS,
    "15m": 15 * _MINUTE_MS,
    "30m": 30 * _MINUTE_MS,
    "1h": _HOUR_MS,
    "2h": 2 * _HOUR_MS,
    "4h": 4 * _HOUR_MS,
    "6h": 6 * _HOUR_MS,
    "8h": 8 * _HOUR_MS,
    "12h": 12 * _HOUR_MS,
    "1d": _DAY_MS,
    "3d": 3 * _DAY_MS,
    "1w": 7 * _DAY_MS,
    "1M": None,
}
ARCHIVE_NAMES: dict[str, str] = {"1mo": "1M"}  # archive spelling -> REST spelling, where they differ
UNITS_PER_MS: dict[str, int] = {"ms": 1, "us": 1000}


def kline_interval(name: str) -> str:
    """The interval an archive name or a request names, in the REST spelling: `1mo` -> `1M`, `1h` -> `1h`."""
    interval = ARCHIVE_NAMES.get(name, name)
    if interval not in INTERVAL_MS:
        known = ", ".join(ARCHIVE_NAMES.get(i, i) for i in INTERVAL_MS) + " (or 1mo)"
        raise UnknownInterval(f"{name!r} is not a Binance kline interval (one of {known})")
    return interval


def close_times(open_times: np.ndarray, interval: str, unit: str = "ms", tz_offset: int = 0) -> np.ndarray:
    """Each kline's close time: the last `unit` ("ms" or "us") of the interval (calendar month for `1M`)
    that opens at its open time; integers since the epoch in, integers in the same unit out.

    `tz_offset` (in `unit`): the REST `timeZone` parameter's offset from UTC, on whose calendar a `1M` kline's
    month ends; the other intervals have a fixed length whatever the zone."""
    open_times = np.asarray(open_times, dtype=np.int64)
    length_ms = INTERVAL_MS[kline_interval(interval)]
    if length_ms is None:
        months = (open_times + tz_offset).astype(f"datetime64[{unit}]").astype("datetime64[M]") + 1
        return months.astype(f"datetime64[{unit}]").astype(np.int64) - tz_offset - 1
    return open_times + (length_ms * UNITS_PER_MS[unit] - 1)
