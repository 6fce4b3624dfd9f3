"""Asset checks on every raw partition: the pandera model, duplicate ids and id continuity."""


import dagster as dg
import pandas as pd

from binance_assets.ingestion.assets import WAREHOUSE_POOL, raw_asset_key
from binance_assets.ingestion.partitions import DaySymbol
from binance_assets.ingestion.schemas import find_duplicate_ids, find_id_gaps, validate_partition
from binance_assets.resources import WarehouseResource
from binance_assets.warehouse import RAW_TABLES, RawTable

MAX_FAILURE_ROWS = 20


def _failure_metadata(failure_cases: pd.DataFrame) -> dict:
    by_check = failure_cases.groupby(["column", "check"], dropna=False).size().reset_index(name="failures")
    sample = failure_cases.head(MAX_FAILURE_ROWS).astype(str)
    return {
        "failure_count": len(failure_cases),
        "failures_by_check": dg.MetadataValue.json(by_check.to_dict(orient="records")),
        "failure_cases": dg.MetadataValue.json(sample.to_dict(orient="records")),
    }


def build_schema_check(raw_table: RawTable, partitions_def: dg.PartitionsDefinition) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(raw_table.name),
        name="pandera_schema",
        description=f"pandera model of raw.{raw_table.name}: types, nulls, ranges, time inside the day.",
        blocking=True,
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        part = DaySymbol.from_key(context.partition_key)
        frame = warehouse.get().read_partition(raw_table.name, part.symbol, part.day, include_partition_columns=True)
        if frame.empty:
            return dg.AssetCheckResult(passed=False, metadata={"rows": 0, "reason": "partition is empty"})
        outcome = validate_partition(raw_table.name, frame)
        metadata = {"rows": len(frame)}
        if not outcome.passed:
            metadata |= _failure_metadata(outcome.failure_cases)
        return dg.AssetCheckResult(passed=outcome.passed, metadata=metadata)

    return _check


def _partition_ids(warehouse, raw_table: RawTable, part: DaySymbol) -> pd.Series:
    """Only the id column of one partition: the id checks need nothing else of its rows."""
    frame = warehouse.query(
        f"select {raw_table.id_column} from {raw_table.qualified_name} where symbol = ? and trade_date = ?",
        [part.symbol, part.day],
    )
    return frame[raw_table.id_column]


def build_id_checks(raw_table: RawTable, partitions_def: dg.PartitionsDefinition) -> list[dg.AssetChecksDefinition]:
    id_column = raw_table.id_column
    key = raw_asset_key(raw_table.name)

    @dg.asset_check(
        asset=key,
        name="unique_ids",
        description=f"No {id_column} appears twice in a partition.",
        blocking=True,
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
    )
    def _unique(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        part = DaySymbol.from_key(context.partition_key)
        ids = _partition_ids(warehouse.get(), raw_table, part)
        duplicates = find_duplicate_ids(ids)
        return dg.AssetCheckResult(
            passed=not duplicates,
            metadata={"duplicate_ids": len(duplicates), "examples": str(duplicates[:MAX_FAILURE_ROWS])},
        )

    @dg.asset_check(
        asset=key,
        name="id_continuity",
        description=(
            f"{id_column}s run without holes inside the day and on from the previous day's last id. "
            "Exchange outages make real gaps, so this warns rather than blocks."
        ),
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
    )
    def _continuity(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        part = DaySymbol.from_key(context.partition_key)
        wh = warehouse.get()
        ids = _partition_ids(wh, raw_table, part)
        gaps = find_id_gaps(ids)
        metadata = {
            "gaps": len(gaps),
            "missing_ids": sum(g.missing for g in gaps),
            "examples": str([(g.after_id, g.before_id) for g in gaps[:MAX_FAILURE_ROWS]]),
        }
        previous = wh.load_log(raw_table.name, part.symbol, part.day - pd.Timedelta(days=1).to_pytimedelta())
        joins_previous = True
        if previous is not None and previous.get("last_id") is not None and len(ids):
            joins_previous = int(ids.min()) == int(previous["last_id"]) + 1
            metadata["previous_day_last_id"] = int(previous["last_id"])
        return dg.AssetCheckResult(
            passed=not gaps and joins_previous,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=metadata | {"joins_previous_day": joins_previous},
        )

    return [_unique, _continuity]


def build_raw_checks(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetChecksDefinition]:
    checks: list[dg.AssetChecksDefinition] = []
    for table in RAW_TABLES.values():
        checks.append(build_schema_check(table, partitions_def))
        if table.id_column:
            checks.extend(build_id_checks(table, partitions_def))
    return checks
