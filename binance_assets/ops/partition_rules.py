"""The checks that run inside asset steps, evaluated again on the published partitions.

The raw assets' `pandera_schema`, `unique_ids` and `id_continuity` and the feature asset's
`pandera_schema` are computed in the asset's own step (write-audit-publish: on the staged rows, before
publishing), so Dagster cannot run them alone without re-materializing. Here the SAME rule functions
(binance_assets.ingestion.rules, binance_assets.features.schema) judge what the warehouse now holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from binance_assets.features.assets import MINUTE_FEATURES_KEY
from binance_assets.features.checks import SCHEMA_CHECK as FEATURES_SCHEMA_CHECK
from binance_assets.features.schema import validate_features
from binance_assets.ingestion.rules import blocking_checks, continuity_check
from binance_assets.lib.partitions import DaySymbol
from binance_assets.ops.findings import ERROR, WARN, Finding
from binance_assets.warehouse import RAW_TABLES, Warehouse
from binance_assets.warehouse.table_names import FEATURES_TABLE


def partition_label(part: DaySymbol) -> str:
    return part.label()


def raw_findings(warehouse: Warehouse, parts: Sequence[DaySymbol]) -> list[Finding]:
    """Every raw check of every loaded raw partition in `parts` (a partition not loaded is the deadline
    check's business, not a rule failure)."""
    findings = []
    for table in RAW_TABLES.values():
        for part in parts:
            if warehouse.load_log(table.name, part.symbol, part.day) is None:
                continue
            rows = warehouse.read_partition_arrow(table.name, part.symbol, part.day, include_partition_columns=True)
            outcomes = blocking_checks(table, rows)
            if table.id_column is not None:
                previous = warehouse.load_log(table.name, part.symbol, part.day - dt.timedelta(days=1))
                outcomes.append(continuity_check(rows[table.id_column], previous.get("last_id") if previous else None))
            findings += [
                Finding("rule", f"raw/{table.name}", o.name, partition_label(part), o.passed,
                        ERROR if o.blocking else WARN, o.summary)
                for o in outcomes
            ]
    return findings


def feature_findings(warehouse: Warehouse, parts: Sequence[DaySymbol]) -> list[Finding]:
    """The feature table's pandera check on each published partition in `parts` (none published: nothing)."""
    if not warehouse.table_exists(FEATURES_TABLE):
        return []
    asset = MINUTE_FEATURES_KEY.to_user_string()
    findings = []
    for part in parts:
        frame = warehouse.read_table(FEATURES_TABLE, symbols=[part.symbol], start=part.day, end=part.day)
        if frame.empty:
            continue
        passed, cases = validate_features(frame)
        summary = f"{len(frame)} rows fit the feature model" if passed else (
            f"{len(cases)} failure cases: " + "; ".join(sorted({str(c) for c in cases["check"].head(50)}))[:400]
        )
        findings.append(Finding("rule", asset, FEATURES_SCHEMA_CHECK, partition_label(part), passed, ERROR, summary))
    return findings
