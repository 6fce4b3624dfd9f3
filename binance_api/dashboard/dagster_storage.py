"""Asset-check outcomes as Dagster records them, read with plain SQL (the API imports no Dagster).

Dagster stores every check evaluation in its event storage's `asset_check_executions` table (one row
per execution; `partition` is the partition key, `evaluation_event` the serialized event). The
embedded default keeps it in SQLite (`$DAGSTER_HOME/history/runs/index.db`), production in the
PostgreSQL database of the Dagster instance. Both are opened read-only here.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DONE = ("SUCCEEDED", "FAILED")

LATEST_SQL = """
SELECT asset_key, check_name, partition, execution_status, evaluation_event, evaluation_event_timestamp
FROM asset_check_executions
WHERE id IN (
    SELECT max(id) FROM asset_check_executions
    WHERE execution_status IN ('SUCCEEDED', 'FAILED') {where}
    GROUP BY asset_key, check_name, partition
)
"""

FAILURES_SQL = """
SELECT asset_key, check_name, count(*) AS failures FROM asset_check_executions
WHERE execution_status = 'FAILED' GROUP BY asset_key, check_name
"""

MATERIALIZATIONS_SQL = """
SELECT asset_key, partition, event FROM event_logs
WHERE dagster_event_type = 'ASSET_MATERIALIZATION' AND asset_key LIKE ?
"""


class CheckStorageError(RuntimeError):
    """Dagster's check storage is configured but cannot be read."""


@dataclass(frozen=True)
class CheckOutcome:
    """One check evaluation. ``blocking``: whether the check blocks its asset's downstream when it fails, as
    Dagster recorded it (None when the event does not say: runless reports, older events)."""

    asset: str  # "raw/spot_trades"
    check: str
    partition: str | None
    passed: bool
    severity: str
    evaluated_at: dt.datetime | None
    metadata: dict[str, Any] = field(default_factory=dict)
    blocking: bool | None = None

    @property
    def finding(self) -> str | None:
        """The one rule of the page's marks: None (passed), ``failed`` (a blocking check failed: downstream
        waits; when Dagster did not record whether it blocks, an ERROR severity counts as blocking) or
        ``warning`` (a non-blocking check failed, e.g. feature_drift whatever its severity: the data is
        published and used)."""
        if self.passed:
            return None
        blocks = self.blocking if self.blocking is not None else self.severity == "ERROR"
        return "failed" if blocks else "warning"

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset, "check": self.check, "partition": self.partition, "passed": self.passed,
            "severity": self.severity, "blocking": self.blocking, "finding": self.finding,
            "metadata": self.metadata, "evaluated_at": self.evaluated_at.isoformat() if self.evaluated_at else None,
        }


def metadata_value(entry: Any) -> Any:
    """The plain value of a serialized Dagster metadata entry ({"__class__": "IntMetadataEntryData", "value": 3})."""
    if not isinstance(entry, dict):
        return entry
    for key in ("value", "text", "data", "md_str", "path", "url", "raw_value"):
        if key in entry:
            return entry[key]
    return {k: v for k, v in entry.items() if k != "__class__"}


def metadata_dict(data: dict[str, Any]) -> dict[str, Any]:
    """Plain metadata of a serialized event body: a `metadata` mapping, or the older `metadata_entries` list."""
    if isinstance(data.get("metadata"), dict):
        return {k: metadata_value(v) for k, v in data["metadata"].items()}
    entries = data.get("metadata_entries") or []
    return {e["label"]: metadata_value(e.get("entry_data")) for e in entries if isinstance(e, dict) and "label" in e}


def parse_evaluation(event_json: str) -> tuple[bool | None, str, bool | None, dict[str, Any]]:
    """(passed, severity, blocking, metadata) of a serialized AssetCheckEvaluation event."""
    try:
        event = json.loads(event_json)
        data = event["dagster_event"]["event_specific_data"]
    except (ValueError, KeyError, TypeError):
        return None, "ERROR", None, {}
    severity = (data.get("severity") or {}).get("__enum__", "AssetCheckSeverity.ERROR").rsplit(".", 1)[-1]
    blocking = data.get("blocking")
    return data.get("success"), severity, blocking if isinstance(blocking, bool) else None, metadata_dict(data)


def _asset(raw: str) -> str:
    try:
        return "/".join(json.loads(raw))
    except (ValueError, TypeError):
        return str(raw)


def _when(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def per_symbol(outcome: CheckOutcome) -> list[CheckOutcome]:
    """A day partition's evaluation as per-symbol findings, keyed `day|symbol` as the page's cells are.

    The market assets are partitioned by day with every symbol inside the run; a check's metadata names the
    symbols it failed for (`failed_symbols`), the files a blocking check refused while the rest of the day was
    published (`refused_symbols_not_published`: the check passed for what was published) and, for the drift
    check, the symbols by severity (`symbols_by_severity`). An old `day|symbol` partition is already per symbol.
    """
    if not outcome.partition or "|" in outcome.partition:
        return []
    meta = outcome.metadata or {}
    found: dict[str, tuple[bool | None, str]] = {}
    for symbol in _names(meta.get("failed_symbols")):
        found[symbol] = (outcome.blocking, outcome.severity)
    for symbol in _names(meta.get("refused_symbols_not_published")):
        found[symbol] = (True, "ERROR")
    by_severity = meta.get("symbols_by_severity")
    if isinstance(by_severity, dict):
        for level, severity in (("warn", "WARN"), ("error", "ERROR")):
            for symbol in _names(by_severity.get(level)):
                found[symbol] = (outcome.blocking, severity)
    return [
        CheckOutcome(outcome.asset, outcome.check, f"{outcome.partition}|{symbol}", False, severity,
                     outcome.evaluated_at, meta, blocking)
        for symbol, (blocking, severity) in sorted(found.items())
    ]


def _names(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


class CheckStore:
    """Read-only access to `asset_check_executions` in SQLite or PostgreSQL (`target`: a path or a URL)."""

    def __init__(self, target: str | None) -> None:
        self.target = target

    @property
    def configured(self) -> bool:
        return bool(self.target)

    def _rows(self, sql: str, params: list[Any]) -> list[tuple]:
        if not self.target:
            return []
        if self.target.startswith(("postgresql://", "postgres://")):
            import psycopg

            try:
                with psycopg.connect(self.target, connect_timeout=5) as conn:
                    conn.read_only = True
                    return conn.execute(sql.replace("?", "%s"), params).fetchall()
            except psycopg.errors.UndefinedTable:
                return []
            except psycopg.Error as exc:
                raise CheckStorageError(f"cannot read Dagster's check storage: {type(exc).__name__}") from None
        path = Path(self.target)
        if not path.exists():
            return []  # no Dagster run has recorded anything yet
        try:
            lite = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            try:
                return lite.execute(sql, params).fetchall()
            finally:
                lite.close()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise CheckStorageError(f"cannot read Dagster's check storage at {path}: {exc}") from None

    def latest(self, *, asset: list[str] | None = None, check: str | None = None) -> list[CheckOutcome]:
        """The latest completed evaluation of every (asset, check, partition)."""
        where, params = "", []
        if asset is not None:
            where += " AND asset_key = ?"
            params.append(json.dumps(asset))
        if check is not None:
            where += " AND check_name = ?"
            params.append(check)
        out = []
        for asset_key, check_name, partition, status, event, at in self._rows(LATEST_SQL.format(where=where), params):
            passed, severity, blocking, metadata = parse_evaluation(event)
            outcome = CheckOutcome(
                _asset(asset_key), check_name, partition, status == "SUCCEEDED" if passed is None else bool(passed),
                severity, _when(at), metadata, blocking,
            )
            out += [outcome, *per_symbol(outcome)]
        return out

    def failure_counts(self) -> dict[tuple[str, str], int]:
        """(asset, check) -> how many evaluations of it failed, over all partitions and runs."""
        return {(_asset(a), c): int(n) for a, c, n in self._rows(FAILURES_SQL, [])}

    def archive_versions(self) -> dict[tuple[str, str], int]:
        """(raw asset, partition) -> distinct archive checksums its materializations recorded (>1: replaced)."""
        sha: dict[tuple[str, str], set] = {}
        for asset_key, partition, event in self._rows(MATERIALIZATIONS_SQL, ['["raw",%']):
            try:
                meta = metadata_dict(json.loads(event)["dagster_event"]["event_specific_data"]["materialization"])
            except (ValueError, KeyError, TypeError):
                continue
            digest = meta.get("sha256")
            if partition and digest:
                sha.setdefault((_asset(asset_key), partition), set()).add(digest)
        return {k: len(v) for k, v in sha.items()}
