"""The checks of every raw partition, declared on the raw asset itself (`check_specs`).

The raw asset computes them in its own step (write-audit-publish, see `load.py`): the blocking ones
(`pandera_schema`, `unique_ids`) on the staged rows before publishing, `id_continuity` (a warning)
after. The rules themselves live in `rules.py`, shared with `validate-archive`.
"""

from __future__ import annotations

import dagster as dg

from binance_assets.ingestion.rules import ID_CONTINUITY, PANDERA_SCHEMA, UNIQUE_IDS, CheckOutcome, unique_column
from binance_assets.warehouse import RawTable


def raw_check_specs(raw_table: RawTable, key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    specs = [
        dg.AssetCheckSpec(
            PANDERA_SCHEMA,
            asset=key,
            blocking=True,
            description=(
                f"pandera model of raw.{raw_table.name}: types, nulls, ranges, time inside the day. Run on the "
                "staged rows: a partition that fails is not published."
            ),
        ),
        dg.AssetCheckSpec(
            UNIQUE_IDS,
            asset=key,
            blocking=True,
            description=f"No {unique_column(raw_table)} appears twice in a partition (checked before publishing).",
        ),
    ]
    if raw_table.id_column:
        specs.append(
            dg.AssetCheckSpec(
                ID_CONTINUITY,
                asset=key,
                description=(
                    f"{raw_table.id_column}s run without holes inside the day and on from the previous day's last "
                    "id. Exchange outages make real gaps, so this warns rather than blocks."
                ),
            )
        )
    return specs


def _metadata_value(value):
    if isinstance(value, list | dict | tuple):
        return dg.MetadataValue.json(value)
    return value


def check_result(key: dg.AssetKey, outcome: CheckOutcome) -> dg.AssetCheckResult:
    metadata = {k: _metadata_value(v) for k, v in outcome.metadata.items()}
    metadata |= {"failure_count": outcome.failure_count, "summary": outcome.summary}
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=outcome.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.blocking else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
    )
