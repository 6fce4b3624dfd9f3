"""REST gap-fill of a raw partition, and the comparison with the archive published later. No Dagster.

A (day, symbol) partition whose archive is missing after its due hour is fetched whole over REST; one
whose trades have id holes (inside the day, or at its edges) gets exactly the missing ids, paged by
`fromId`. The result goes through the same write-audit-publish as an archive (`load.publish_audited`):
staged, checked by the blocking checks (pandera model, unique ids), and published in one transaction
only if they pass, with `raw.load_log.source_url` `rest:<base url><path>?symbol=..&day=..` (so
`load_source` says `rest`; a REST load has no sha256 and is always a new load_log version). A
duplicate id or a row outside the day is refused like a bad archive: the published partition stays as
it was. Just before the swap a copy goes to `gapfill.<table>`. When the archive is loaded later it
replaces the REST rows and `compare_rest_copy` compares the two: any difference is a failed check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from binance_assets.binance.rest_tables import RestFetcher, day_bounds_ms
from binance_assets.binance.schema import ArchiveKind
from binance_assets.ingestion.load import AuditedPublish, publish_audited
from binance_assets.ingestion.schemas import find_id_gaps
from binance_assets.warehouse import LoadRecord, RawTable, Warehouse

REST_SOURCE_PREFIX = "rest:"
GAPFILL_SCHEMA = "gapfill"
MINUTES_PER_DAY = 1440


def load_source(load_log_row: dict | None) -> str | None:
    """`rest`, `archive`, or None (never loaded), from a `raw.load_log` row."""
    if load_log_row is None:
        return None
    return "rest" if str(load_log_row.get("source_url") or "").startswith(REST_SOURCE_PREFIX) else "archive"


def copy_table(raw_table: RawTable) -> str:
    return f"{GAPFILL_SCHEMA}.{raw_table.name}"


@dataclass(frozen=True)
class GapFill:
    table: str
    symbol: str
    day: dt.date
    reason: str  # missing | id_gaps | missing_minutes | complete | no_data
    rows_before: int
    rows_fetched: int
    rows_after: int
    requests: int
    weight: int
    source_url: str | None = None
    audit: AuditedPublish | None = None  # None when REST had nothing to add

    @property
    def published(self) -> bool:
        return self.audit is not None and self.audit.published

    @property
    def rejection(self) -> str:
        """What the failed blocking checks found in the REST rows (empty if published or not audited)."""
        return self.audit.rejection if self.audit is not None else ""


def _with_partition(table: pa.Table, symbol: str, day: dt.date) -> pa.Table:
    n = table.num_rows
    return table.add_column(0, "symbol", pa.array([symbol] * n, pa.string())).add_column(
        1, "trade_date", pa.array([day] * n, pa.date32())
    )


def _missing_id_ranges(fetcher: RestFetcher, raw_table: RawTable, symbol: str, day: dt.date, ids: pd.Series):
    """(first, last or None) id ranges missing from the partition: holes, the day's head and its tail."""
    ranges: list[tuple[int, int | None]] = [(g.after_id + 1, g.before_id - 1) for g in find_id_gaps(ids)]
    start, end = day_bounds_ms(day)
    first = fetcher.first_agg_at(raw_table.dataset, symbol, start, end)
    if first is not None:
        day_first = first["f"] if raw_table.kind is ArchiveKind.TRADES else first["a"]
        if day_first < int(ids.min()):
            ranges.insert(0, (day_first, int(ids.min()) - 1))
    ranges.append((int(ids.max()) + 1, None))  # the tail, up to the first row of the next day
    return ranges


def gapfill_partition(
    fetcher: RestFetcher, warehouse: Warehouse, raw_table: RawTable, day: dt.date, symbol: str
) -> GapFill:
    """Fill partition (symbol, day) of `raw_table` from REST; see the module docstring."""
    path = raw_table.dataset.rest_path
    if path is None:
        raise ValueError(f"raw.{raw_table.name} is not gap-fillable: its dataset declares no REST path")
    stats = fetcher.client.stats
    requests0, weight0 = stats.requests, stats.weight
    existing = warehouse.read_partition_arrow(raw_table.name, symbol, day)
    _, end_ms = day_bounds_ms(day)
    dataset = raw_table.dataset
    if existing.num_rows == 0:
        fetched, reason = fetcher.fetch_day(dataset, symbol, day), "missing"
        merged = fetched
    elif raw_table.id_column is None:
        if existing.num_rows >= MINUTES_PER_DAY:
            fetched, reason = existing.schema.empty_table(), "complete"
        else:
            fetched, reason = fetcher.fetch_day(dataset, symbol, day), "missing_minutes"
        merged = fetched if fetched.num_rows else existing
    else:
        ids = existing.column(raw_table.id_column).to_pandas()
        pieces = [
            fetcher.fetch_ids(dataset, symbol, a, b, end_ms)
            for a, b in _missing_id_ranges(fetcher, raw_table, symbol, day, ids)
        ]
        fetched = pa.concat_tables(pieces) if pieces else existing.schema.empty_table()
        reason = "id_gaps" if fetched.num_rows else "complete"
        merged = pa.concat_tables([existing, fetched.cast(existing.schema)]).sort_by(raw_table.id_column)
    result = GapFill(
        raw_table.name, symbol, day, reason, existing.num_rows, fetched.num_rows, existing.num_rows,
        stats.requests - requests0, stats.weight - weight0,
    )  # fmt: skip
    if fetched.num_rows == 0:
        return result if reason == "complete" else _replace(result, reason="no_data")
    source = f"{REST_SOURCE_PREFIX}{fetcher.client.base_url}{path}?symbol={symbol}&day={day.isoformat()}"

    def keep_copy() -> None:  # audited; should the swap then fail, the copy still holds what REST said
        warehouse.replace_table_partition(copy_table(raw_table), symbol, day, _with_partition(merged, symbol, day))

    audit = publish_audited(
        warehouse, raw_table, day, symbol, merged, LoadRecord(source_url=source), before_publish=keep_copy
    )
    rows_after = merged.num_rows if audit.published else existing.num_rows
    return _replace(result, rows_after=rows_after, source_url=source, audit=audit)


def _replace(fill: GapFill, **changes) -> GapFill:
    return GapFill(**{**fill.__dict__, **changes})


@dataclass(frozen=True)
class RestComparison:
    rest_rows: int
    archive_rows: int
    only_rest: int
    only_archive: int
    differing: int
    examples: list

    @property
    def matches(self) -> bool:
        return self.only_rest == self.only_archive == self.differing == 0


def rest_copy_symbols(warehouse: Warehouse, raw_table: RawTable, day: dt.date) -> set[str]:
    """The symbols of `day` whose partition REST filled (a copy of its rows is kept for the comparison): one query
    for the day, whatever the universe's size."""
    table = copy_table(raw_table)
    if not warehouse.table_exists(table):
        return set()
    return set(warehouse.query(f"select distinct symbol from {table} where trade_date = ?", [day])["symbol"])


def compare_rest_copy(warehouse: Warehouse, raw_table: RawTable, day: dt.date, symbol: str) -> RestComparison | None:
    """The partition as loaded now against its REST copy; None if REST never filled it."""
    table = copy_table(raw_table)
    if not warehouse.table_exists(table):
        return None
    key = raw_table.id_column or raw_table.time_column
    rest = warehouse.read_table_arrow(table, symbols=[symbol], start=day, end=day, order_by=[key])
    if rest.num_rows == 0:
        return None
    rest_frame = rest.drop_columns(["symbol", "trade_date"]).to_pandas()
    archive_frame = warehouse.read_partition(raw_table.name, symbol, day)
    both = rest_frame.merge(archive_frame, on=key, how="outer", suffixes=("_rest", "_archive"), indicator=True)
    matched = both[both["_merge"] == "both"]
    value_columns = [c for c in raw_table.data_column_names if c != key]
    unequal = pd.Series(False, index=matched.index)
    for column in value_columns:
        left, right = matched[f"{column}_rest"], matched[f"{column}_archive"]
        unequal |= ~((left == right) | (left.isna() & right.isna()))
    differing = matched[unequal]
    return RestComparison(
        rest_rows=len(rest_frame),
        archive_rows=len(archive_frame),
        only_rest=int((both["_merge"] == "left_only").sum()),
        only_archive=int((both["_merge"] == "right_only").sum()),
        differing=int(unequal.sum()),
        examples=[str(v) for v in differing[key].head(10).tolist()],
    )
