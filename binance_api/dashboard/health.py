"""The Data health page's reads: a status per (table, day, symbol), freshness per asset, failing checks.

Statuses, worst first (each cell shows the worst that applies, its drill-down lists all of them):

* ``failed``: the latest evaluation of a blocking check on that partition failed (`CheckOutcome.finding`);
* ``missing``: no row for a day inside the table's range (raw: no `raw.load_log` record; derived: the raw
  data is there but the table has no rows for it);
* ``replaced``: Dagster recorded more than one archive checksum for the partition (Binance republished it);
* ``warning``: a non-blocking check failed, e.g. id continuity across an exchange outage, or feature drift
  (whatever its severity: the partition is published and used);
* ``late``: arrived after its deadline (`raw_due_hours_after_midnight` after the next UTC midnight) while the
  platform was waiting for it; history loaded by a backfill is not late (the pipeline's rule,
  `binance_assets.binance.publication.arrived_late`, which the `day_file_on_time` check applies too);
* ``loaded``;
* ``unlisted``: no data for a day the symbol was not listed on (before its first or after its last trading day,
  as the symbol universe records them): expected, no problem.

The heat map applies these rules to every cell at once (binance_api.dashboard.health_grid); `cell_status` is the
same rule for one cell (a partition's drill-down).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, overload
from urllib.parse import quote

from binance_api.dashboard.dagster_storage import CheckOutcome, CheckStore
from binance_api.dashboard.market import UM_PREFIX
from binance_assets.binance.publication import ARRIVALS_SQL, arrived_late, as_utc, deadline_for
from binance_assets.binance.schema import Market
from binance_assets.warehouse.load_log import LOAD_LOG
from binance_assets.warehouse.table_names import DATA_GAPS_TABLE, UM_BARS_1M_TABLE
from binance_assets.warehouse.tables import RAW_TABLES

STATUSES = ("failed", "missing", "replaced", "warning", "late", "loaded", "unlisted")
DERIVED_SCHEMAS = ("marts", "features", "ml")
# Derived tables where a (symbol, day) without rows is normal (a day without data gaps), not "missing".
SPARSE_TABLES = frozenset({DATA_GAPS_TABLE})
# The heat map's rows: the spot universe's symbols, then the USD-M perpetuals as the Market page names them
# (`UM:BTCUSDT`). A table's cells are its market's rows only: a raw table's market is its dataset's (the registry).
ROW_PREFIX = {Market.SPOT: "", Market.FUTURES_UM: UM_PREFIX}


def table_market(table: str) -> Market:
    """The market of a heat-map table (`schema.name`): a raw table's dataset's; the USD-M bars'; else spot."""
    schema, _, name = table.partition(".")
    if schema == "raw" and name in RAW_TABLES:
        return RAW_TABLES[name].dataset.market
    return Market.FUTURES_UM if table == UM_BARS_1M_TABLE else Market.SPOT


def row_prefix(table: str) -> str:
    """What the table's symbols are prefixed with in the heat map's rows ("" for spot, `UM:` for USD-M)."""
    market = table_market(table)
    if market not in ROW_PREFIX:
        raise ValueError(f"{table}: the heat map has no rows for {market.value} symbols")
    return ROW_PREFIX[market]


def partition_key(day: dt.date, symbol: str) -> str:
    """The platform's (date, symbol) partition key as Dagster prints it, e.g. `2025-01-01|BTCUSDT`."""
    return f"{day.isoformat()}|{symbol}"


@overload
def _utc(value: dt.datetime) -> dt.datetime: ...
@overload
def _utc(value: None) -> None: ...
def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_utc(value)


def derived_tables(session) -> list[str]:
    """Tables of the marts/features/ml schemas partitioned by (symbol, trade_date)."""
    placeholders = ", ".join("?" for _ in DERIVED_SCHEMAS)
    rows = session.query(
        "SELECT table_schema, table_name FROM information_schema.columns "
        f"WHERE table_schema IN ({placeholders}) AND column_name IN ('symbol', 'trade_date') "
        "GROUP BY table_schema, table_name HAVING count(DISTINCT column_name) = 2 "
        "ORDER BY table_schema, table_name",
        list(DERIVED_SCHEMAS),
    ).to_pylist()
    order = {s: i for i, s in enumerate(DERIVED_SCHEMAS)}
    names = [f"{r['table_schema']}.{r['table_name']}" for r in sorted(rows, key=lambda r: order[r["table_schema"]])]
    return [n for n in names if n not in SPARSE_TABLES]


def arrivals(session, start: dt.date, end: dt.date) -> dict[tuple[str, str, dt.date], dict[str, Any]]:
    """(table, symbol, day) -> its first load and the first load of its table and symbol (`ARRIVALS_SQL`)."""
    rows = session.query(ARRIVALS_SQL.format(load_log=LOAD_LOG), [start, end]).to_pylist()
    return {(r["table_name"], r["symbol"], r["trade_date"]): r for r in rows}


def is_late(arrival: dict[str, Any] | None, day: dt.date, due_hours: float) -> bool:
    return arrival is not None and arrived_late(day, arrival["arrived_at"], arrival["expected_since"], due_hours)


def loaded_range(session) -> tuple[dt.date | None, dt.date | None]:
    row = session.query(f"SELECT min(trade_date) AS lo, max(trade_date) AS hi FROM {LOAD_LOG}").to_pylist()[0]
    return row["lo"], row["hi"]


def cell_status(
    *, present: bool, checks: list[CheckOutcome], archive_versions: int = 1, late: bool = False, listed: bool = True
) -> tuple[str, list[str]]:
    """(worst status, every status that applies) of one cell. `listed`: whether the symbol traded that day."""
    flags = []
    findings = {c.finding for c in checks}
    if "failed" in findings:
        flags.append("failed")
    if not present and listed:
        flags.append("missing")
    if present and archive_versions > 1:
        flags.append("replaced")
    if "warning" in findings:
        flags.append("warning")
    if present and late:
        flags.append("late")
    if not flags:
        flags.append("loaded" if present else "unlisted")
    worst = min(flags, key=STATUSES.index)
    return worst, flags


def dagster_asset_url(ui_url: str, asset: str, key: str | None = None) -> str:
    url = f"{ui_url.rstrip('/')}/assets/{'/'.join(quote(p, safe='') for p in asset.split('/'))}"
    if key:
        url += f"?view=partitions&partition={quote(key, safe='')}"
    return url


def partition_detail(
    session, store: CheckStore, ui_url: str, table: str, symbol: str, day: dt.date, due_hours: float,
    listed: bool = True,
) -> dict[str, Any]:
    """A cell's drill-down: its load record (raw) or row count (derived), its checks, the Dagster link. `listed`:
    whether the symbol traded that day (the universe's listing)."""
    schema, _, name = table.partition(".")
    asset = f"{schema}/{name}"
    key = partition_key(day, symbol)
    checks = [c for c in store.latest(asset=[schema, name]) if c.partition == key]
    detail: dict[str, Any] = {
        "table": table, "symbol": symbol, "day": day.isoformat(), "partition": key, "asset": asset,
        "dagster_url": dagster_asset_url(ui_url, asset, key), "checks": [c.to_dict() for c in checks],
        "load_record": None, "rows": None,
    }
    if schema == "raw":
        rec = session.query(
            f"SELECT * FROM {LOAD_LOG} WHERE table_name = ? AND symbol = ? AND trade_date = ? "
            "AND superseded_at IS NULL", [name, symbol, day]
        ).to_pylist()
        rec = rec[0] if rec else None
        if rec is not None:
            detail["load_record"] = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rec.items()}
            detail["rows"] = rec["rows"]
        versions = store.archive_versions().get((asset, key), 1 if rec else 0)
        arrival = arrivals(session, day, day).get((name, symbol, day))
        late = rec is not None and is_late(arrival, day, due_hours)
        detail["archive_versions"] = versions
        detail["deadline"] = deadline_for(day, due_hours).isoformat()
        detail["arrived_at"] = _utc(arrival["arrived_at"]).isoformat() if arrival else None
        detail["expected_since"] = _utc(arrival["expected_since"]).isoformat() if arrival else None
        detail["status"], detail["flags"] = cell_status(
            present=rec is not None, checks=checks, archive_versions=versions, late=late, listed=listed
        )
    else:
        if table not in derived_tables(session):
            raise KeyError(f"unknown table {table!r}")
        n = session.query(
            f"SELECT count(*) AS n FROM {table} WHERE symbol = ? AND trade_date = ?", [symbol, day]
        ).to_pylist()[0]["n"]
        detail["rows"] = int(n)
        detail["status"], detail["flags"] = cell_status(present=n > 0, checks=checks, listed=listed)
    return detail


def freshness_facts(session) -> list[dict[str, Any]]:
    """Per asset: the latest day it holds and, raw, when it was last loaded and its partitions (one warehouse
    version's facts; `freshness` judges them against the clock)."""
    out = []
    for r in session.query(
        f"SELECT table_name, max(trade_date) AS latest_day, max(loaded_at) AS loaded_at, count(*) AS partitions "
        f"FROM {LOAD_LOG} GROUP BY table_name ORDER BY table_name"
    ).to_pylist():
        out.append({"asset": f"raw/{r['table_name']}", "latest_day": r["latest_day"],
                    "loaded_at": _utc(r["loaded_at"]).isoformat(), "partitions": int(r["partitions"])})
    for table in derived_tables(session):
        r = session.query(f"SELECT max(trade_date) AS d FROM {table}").to_pylist()[0]
        out.append({"asset": table.replace(".", "/"), "latest_day": r["d"], "loaded_at": None, "partitions": None})
    return out


def freshness(facts: list[dict[str, Any]], now: dt.datetime, due_hours: float) -> list[dict[str, Any]]:
    """Per asset: the latest day it holds, when it was loaded (raw), and whether the latest due day is there."""
    latest_due = (now - dt.timedelta(hours=due_hours)).date() - dt.timedelta(days=1)
    return [{**f, "latest_day": f["latest_day"].isoformat() if f["latest_day"] else None,
             "fresh": bool(f["latest_day"] and f["latest_day"] >= latest_due), "latest_due_day": latest_due.isoformat()}
            for f in facts]


def failing_checks(store: CheckStore) -> list[dict[str, Any]]:
    """Checks whose latest evaluation failed somewhere: partitions failing now and failures ever recorded."""
    counts = store.failure_counts()
    failing: dict[tuple[str, str], list[CheckOutcome]] = defaultdict(list)
    for o in store.latest():
        if not o.passed:
            failing[(o.asset, o.check)].append(o)
    out: list[dict[str, Any]] = []
    for (asset, check), items in sorted(failing.items()):
        items.sort(key=lambda o: o.partition or "")
        severities = sorted({o.severity for o in items}, key=lambda s: s != "ERROR")  # the worst first
        out.append({
            "asset": asset, "check": check, "severity": severities[0], "severities": severities,
            "finding": "failed" if any(o.finding == "failed" for o in items) else "warning",
            "failing_partitions": len(items),
            "failures_recorded": counts.get((asset, check), len(items)),
            "partitions": [o.partition for o in items][:50],
            "last_failed_at": max((o.evaluated_at for o in items if o.evaluated_at), default=None),
        })
    for item in out:
        if item["last_failed_at"] is not None:
            item["last_failed_at"] = item["last_failed_at"].isoformat()
    return out
