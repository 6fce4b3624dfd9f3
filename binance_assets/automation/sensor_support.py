"""What the archive sensors share (binance_assets.automation.landing_sensor, .poller_sensor): their names
and run tags, which raw assets and which downstream assets a run selects, the newest partition day, the
mirror behind an archive base URL, and the warehouse as a sensor reads it (waiting for DuckDB's lock at
most WAREHOUSE_WAIT_SECONDS)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import dagster as dg

from binance_assets.automation.landing_runs import LoadedSha256
from binance_assets.automation.mirrors import LocalMirror, MirrorSource, S3Mirror
from binance_assets.automation.poller import is_http_url
from binance_assets.binance.archive_client import mirror_root
from binance_assets.lib.keys import raw_asset_key
from binance_assets.lib.resources import WarehouseResource
from binance_assets.settings import Settings
from binance_assets.warehouse import DuckDBWarehouse, Warehouse
from binance_assets.warehouse.tables import RAW_TABLES

LANDING_SENSOR = "archive_landing_sensor"
POLLER_SENSOR = "archive_poller"
RAW_ASSET_KEYS: list[dg.AssetKey] = [raw_asset_key(name) for name in RAW_TABLES]
# How long the poller waits for the DuckDB file lock before skipping a tick (a load or dbt may hold it).
WAREHOUSE_WAIT_SECONDS = 20.0

TAG_PATH = "binance/archive_path"
TAG_SHA256 = "binance/sha256"
TAG_LANDED_AT = "binance/landed_at"
TAG_SOURCE = "binance/source"
TAG_REASON = "binance/reason"

# A job (e.g. the ingestion job) or anything `AssetSelection.from_coercible` takes; must include the raw assets.
SensorTarget = Any


def last_partition_day(now: datetime | None = None) -> date:
    """The newest day that is a partition: daily partitions end with the last complete UTC day."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).date() - timedelta(days=1)


def mirror_source(base_url: str, settings: Settings) -> MirrorSource | None:
    """The mirror behind an archive base URL: local folder, S3 prefix, or None for http(s)."""
    if is_http_url(base_url):
        return None
    if base_url.lower().startswith("s3://"):
        from dagster_aws.s3 import S3Resource

        parsed = urlparse(base_url)
        client = S3Resource(endpoint_url=settings.s3_endpoint_url).get_client()
        return S3Mirror(client, parsed.netloc, parsed.path.strip("/"))
    root = mirror_root(base_url)
    assert root is not None  # nosec B101 # type narrowing
    return LocalMirror(root)


def market_downstream() -> dg.AssetSelection:
    """The raw assets and what is downstream of them in this location; the merchant's marts (they read
    `fct_bars_1m`) follow through their own automation."""
    return dg.AssetSelection.assets(*RAW_ASSET_KEYS).downstream() - dg.AssetSelection.tag("merchant", "")


def run_selection(
    context: dg.SensorEvaluationContext, raw_keys: list[dg.AssetKey], complete: bool
) -> list[dg.AssetKey]:
    """The raw assets to load and, once the partition is `complete` (all raw tables there after this run),
    everything downstream of them in this code location (dbt models, features) in the same run: one
    process start instead of one per automation hop; a failed blocking check still stops them. Dagster's
    automation conditions see those assets updated after their upstream and do not request them again;
    assets of other locations (predictions) follow through their own automation, as does downstream of an
    incomplete partition. Without a code location at hand (a bare `build_sensor_context`), raw only."""
    repository = context.repository_def
    if repository is None or not complete:
        return raw_keys
    graph = repository.asset_graph
    partitions = graph.get(raw_keys[0]).partitions_def
    merchant = dg.AssetSelection.tag("merchant", "")
    downstream = (dg.AssetSelection.assets(*raw_keys).downstream() - merchant).resolve(graph)
    later = sorted(
        (key for key in downstream - set(raw_keys) if graph.get(key).partitions_def == partitions),
        key=lambda key: key.to_user_string(),
    )
    return [*raw_keys, *later]


def warehouse_sha256(resource: WarehouseResource) -> LoadedSha256:
    """`(table, day, symbol) -> sha256` of the archive `raw.load_log` holds for that partition, or None."""
    warehouse = warehouse_for_sensor(resource)
    by_table_day: dict[tuple[str, date], dict[tuple[date, str], str | None]] = {}

    def loaded(table: str, day: date, symbol: str) -> str | None:
        # One query per (table, day), not per file: a day of the universe lands thousands of files, and each
        # query is a DuckDB connection (~10-40 ms): 456 files took the landing tick 16 s one by one.
        if (table, day) not in by_table_day:
            by_table_day[(table, day)] = warehouse.loaded_sha256s(table, start=day, end=day)
        return by_table_day[(table, day)].get((day, symbol))

    return loaded


def nothing_loaded(table: str, day: date, symbol: str) -> None:
    return None


def warehouse_for_sensor(resource: WarehouseResource) -> Warehouse:
    """The resource's warehouse, but waiting at most WAREHOUSE_WAIT_SECONDS for DuckDB's file lock."""
    warehouse = resource.open()
    if isinstance(warehouse, DuckDBWarehouse):
        warehouse.lock_timeout = min(warehouse.lock_timeout, WAREHOUSE_WAIT_SECONDS)
    return warehouse
