"""Data quality and freshness per asset, from what the pipeline records (no Dagster import):

* freshness: the warehouse's publish record (`raw.load_log`: newest partition, data time and load time
  per raw table and symbol) and the newest partition of each derived table;
* check results: the latest evaluation of every asset check, read from the Dagster instance's event
  log storage (`asset_check_executions`: SQLite `<DAGSTER_HOME>/history/runs/index.db` locally, the
  dagster-postgres database in prod), read-only. Unset or unreachable: reported, not an error.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

from binance_assets.warehouse.load_log import LOAD_LOG
from binance_assets.warehouse.snapshots import table_exists
from binance_assets.warehouse.table_names import BARS_1M_TABLE, FEATURES_TABLE, PREDICTIONS_TABLE, SYMBOL_DAILY_TABLE
from binance_assets.warehouse.tables import RAW_SCHEMA

DERIVED_TABLES = (BARS_1M_TABLE, SYMBOL_DAILY_TABLE, FEATURES_TABLE, PREDICTIONS_TABLE)

RAW_FRESHNESS_SQL = f"""
    SELECT table_name, symbol, max(trade_date) AS latest_partition, max(last_time) AS latest_data_time,
           max(loaded_at) AS loaded_at, count(*) AS partitions
    FROM {LOAD_LOG} GROUP BY table_name, symbol ORDER BY table_name, symbol
"""

LATEST_CHECKS_SQL = """
    SELECT e.asset_key, e.check_name, e.partition, e.execution_status, e.evaluation_event_timestamp, e.run_id,
           e.evaluation_event
    FROM asset_check_executions e
    JOIN (SELECT asset_key, check_name, max(id) AS id FROM asset_check_executions
          WHERE execution_status <> 'PLANNED' GROUP BY asset_key, check_name) latest ON latest.id = e.id
    ORDER BY e.asset_key, e.check_name
"""


def freshness(session) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    out = []
    for r in session.query(RAW_FRESHNESS_SQL).to_pylist():
        lag = (now - r["latest_data_time"]).total_seconds() / 3600 if r["latest_data_time"] else None
        out.append({"asset": f"{RAW_SCHEMA}.{r['table_name']}", "symbol": r["symbol"],
                    "latest_partition": r["latest_partition"], "latest_data_time": r["latest_data_time"],
                    "loaded_at": r["loaded_at"],
                    "partitions": r["partitions"], "lag_hours": None if lag is None else round(lag, 3)})
    for table in DERIVED_TABLES:
        if not table_exists(session, table):
            continue
        rows = session.query(
            f"SELECT symbol, max(trade_date) AS latest_partition, count(DISTINCT trade_date) AS partitions "
            f"FROM {table} GROUP BY symbol ORDER BY symbol"
        ).to_pylist()
        out += [{"asset": table, "symbol": r["symbol"], "latest_partition": r["latest_partition"],
                 "latest_data_time": None, "loaded_at": None, "partitions": r["partitions"], "lag_hours": None}
                for r in rows]
    return out


def _evaluation(event_json: str | None) -> dict[str, Any]:
    """`passed` and `severity` of a serialized AssetCheckEvaluation (Dagster stores `success`), else None."""
    if not event_json:
        return {"passed": None, "severity": None}
    try:
        stack = [json.loads(event_json)]
    except ValueError:
        return {"passed": None, "severity": None}
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("__class__") == "AssetCheckEvaluation":
                severity = (item.get("severity") or {}).get("__enum__", "")
                return {"passed": item.get("success"), "severity": severity.rsplit(".", 1)[-1] or None}
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return {"passed": None, "severity": None}


def _asset_key(raw: str) -> str:
    try:
        parts = json.loads(raw)
        return "/".join(parts) if isinstance(parts, list) else str(raw)
    except ValueError:
        return str(raw)


def check_results(storage: str | None) -> dict[str, Any]:
    if not storage:
        return {"status": "not_configured", "checks": []}
    try:
        if storage.startswith(("postgresql://", "postgres://")):
            import psycopg

            with psycopg.connect(storage, connect_timeout=3) as conn:
                conn.read_only = True
                cur = conn.execute(LATEST_CHECKS_SQL)
                names = [d.name for d in cur.description or []]
                rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        else:
            path = Path(storage.removeprefix("sqlite:///"))
            if not path.exists():
                return {"status": "unavailable", "reason": f"no Dagster event log at {path}", "checks": []}
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2) as conn:
                conn.row_factory = sqlite3.Row
                rows = [dict(r) for r in conn.execute(LATEST_CHECKS_SQL)]
    except Exception as exc:
        return {"status": "unavailable", "reason": f"{type(exc).__name__}: {exc}", "checks": []}
    checks = [{
        "asset": _asset_key(r["asset_key"]),
        "check_name": r["check_name"],
        "partition": r["partition"],
        "status": r["execution_status"],
        **_evaluation(r["evaluation_event"]),
        "evaluated_at": r["evaluation_event_timestamp"],
        "run_id": r["run_id"],
    } for r in rows]
    return {"status": "ok", "checks": checks}
