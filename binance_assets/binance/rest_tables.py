"""REST rows -> the canonical Arrow tables of `schema.py` (what the archive reader returns), and
the paging that fetches a day, or a range of ids, over REST. No Dagster here.

Decimal strings become float64 through `float(str)`, which is correctly rounded, exactly as the
archive reader parses the same text; times come as µs when the client asked for them
(`X-MBX-TIME-UNIT: MICROSECOND`, spot only), else ms, and are stored as µs. USD-M futures' items have no
best-match flag: the column is null, as the futures archives' is.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from .datasets import Dataset, raw_dataset_for
from .rest_client import BinanceRestClient
from .schema import AGG_TRADES_SCHEMA, KLINES_SCHEMA, TIMESTAMP, TRADES_SCHEMA, ArchiveKind, Market

PAGE = 1000
HOUR_MS = 3_600_000


def _times(values: list[int], micros: bool) -> pa.Array:
    arr = np.asarray(values, dtype=np.int64)
    return pa.array(arr if micros else arr * 1000, type=pa.int64()).cast(TIMESTAMP)


def _floats(values: list[str]) -> pa.Array:
    return pa.array([float(v) for v in values], type=pa.float64())


def trades_table(rows: list[dict], micros: bool) -> pa.Table:
    return pa.Table.from_arrays(
        [
            pa.array([r["id"] for r in rows], pa.int64()),
            _floats([r["price"] for r in rows]),
            _floats([r["qty"] for r in rows]),
            _floats([r["quoteQty"] for r in rows]),
            _times([r["time"] for r in rows], micros),
            pa.array([r["isBuyerMaker"] for r in rows], pa.bool_()),
            pa.array([r.get("isBestMatch") for r in rows], pa.bool_()),  # futures: none (null)
        ],
        schema=TRADES_SCHEMA,
    )


def agg_trades_table(rows: list[dict], micros: bool) -> pa.Table:
    return pa.Table.from_arrays(
        [
            pa.array([r["a"] for r in rows], pa.int64()),
            _floats([r["p"] for r in rows]),
            _floats([r["q"] for r in rows]),
            pa.array([r["f"] for r in rows], pa.int64()),
            pa.array([r["l"] for r in rows], pa.int64()),
            _times([r["T"] for r in rows], micros),
            pa.array([r["m"] for r in rows], pa.bool_()),
            pa.array([r.get("M") for r in rows], pa.bool_()),  # futures: none (null)
        ],
        schema=AGG_TRADES_SCHEMA,
    )


def klines_table(rows: list[list], micros: bool) -> pa.Table:
    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in range(12)]
    return pa.Table.from_arrays(
        [
            _times(list(cols[0]), micros),
            *(_floats(list(cols[i])) for i in (1, 2, 3, 4, 5)),
            _times(list(cols[6]), micros),
            _floats(list(cols[7])),
            pa.array(list(cols[8]), pa.int64()),
            _floats(list(cols[9])),
            _floats(list(cols[10])),
        ],
        schema=KLINES_SCHEMA,
    )


def day_bounds_ms(day: date) -> tuple[int, int]:
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    return start, start + 86_400_000


class RestFetcher:
    """Fetches a day or an id range of one dataset over REST, paging by `fromId` (1000 rows a page).

    The dataset's entry says where: its `rest_path` (spot's `/api/v3` or USD-M futures' `/fapi/v1`, on a client
    whose base URL serves that market), and its market's aggTrades path finds a day's first ids."""

    def __init__(self, client: BinanceRestClient) -> None:
        self.client = client

    def micros(self, dataset: Dataset) -> bool:
        """Whether times come in µs: spot honours `X-MBX-TIME-UNIT: MICROSECOND`, USD-M futures answer in ms."""
        return self.client.time_unit == "MICROSECOND" and dataset.market is Market.SPOT

    def _ms(self, dataset: Dataset, t: int) -> int:
        return t // 1000 if self.micros(dataset) else t

    def first_agg_at(self, dataset: Dataset, symbol: str, start_ms: int, end_ms: int) -> dict | None:
        """The first aggTrade of `dataset`'s market at or after `start_ms` (before `end_ms`), an hour at a time."""
        path = _rest_path(raw_dataset_for(dataset.market, ArchiveKind.AGG_TRADES), f"{dataset.market.value} aggTrades")
        for hour in range(start_ms, end_ms, HOUR_MS):
            end = min(hour + HOUR_MS, end_ms) - 1
            rows = self.client.agg_trades(symbol, start_time=hour, end_time=end, limit=1, path=path)
            if rows:
                return rows[0]
        return None

    def _pages(self, dataset: Dataset, symbol: str, from_id: int) -> Iterator[list[dict]]:
        path = _rest_path(dataset, dataset.id)
        while True:
            if dataset.kind is ArchiveKind.TRADES:
                rows = self.client.historical_trades(symbol, from_id=from_id, limit=PAGE, path=path)
                key = "id"
            else:
                rows = self.client.agg_trades(symbol, from_id=from_id, limit=PAGE, path=path)
                key = "a"
            if not rows:
                return
            yield rows
            if len(rows) < PAGE:
                return
            from_id = rows[-1][key] + 1

    def fetch_ids(self, dataset: Dataset, symbol: str, first_id: int, last_id: int | None, end_ms: int) -> pa.Table:
        """Rows with id in [first_id, last_id] (or up to the first row at/after `end_ms`)."""
        trades = dataset.kind is ArchiveKind.TRADES
        key, time_key = ("id", "time") if trades else ("a", "T")
        kept: list[dict] = []
        for rows in self._pages(dataset, symbol, first_id):
            done = False
            for row in rows:
                if (last_id is not None and row[key] > last_id) or self._ms(dataset, row[time_key]) >= end_ms:
                    done = True
                    break
                kept.append(row)
            if done:
                break
        micros = self.micros(dataset)
        return trades_table(kept, micros) if trades else agg_trades_table(kept, micros)

    def fetch_day(self, dataset: Dataset, symbol: str, day: date) -> pa.Table:
        """Every row of one UTC day of `dataset` over REST."""
        start, end = day_bounds_ms(day)
        if dataset.kind is ArchiveKind.KLINES:
            path, interval = _rest_path(dataset, dataset.id), str(dataset.interval)
            if interval != "1m":
                raise ValueError(f"{dataset.id}: REST fetches a day of 1m klines (two pages of 720), not {interval}")
            rows: list[list] = []
            for half in (start, start + 720 * 60_000):
                end_half = half + 720 * 60_000 - 1
                rows += self.client.klines(symbol, interval, start_time=half, end_time=end_half, limit=720, path=path)
            return klines_table(rows, self.micros(dataset))
        first = self.first_agg_at(dataset, symbol, start, end)
        if first is None:
            return dataset.schema.empty_table()
        first_id = first["f"] if dataset.kind is ArchiveKind.TRADES else first["a"]
        return self.fetch_ids(dataset, symbol, first_id, None, end)


def _rest_path(dataset: Dataset | None, what: str) -> str:
    """`dataset`'s REST path (the registry's); a clear error when it declares none."""
    if dataset is None or dataset.rest_path is None:
        raise ValueError(f"{what} has no REST path in the dataset registry: not gap-fillable over REST")
    return dataset.rest_path


def next_day(day: date) -> date:
    return day + timedelta(days=1)
