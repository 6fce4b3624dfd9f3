"""Sensors that turn new Binance archives into runs of exactly the new raw partitions.

- `archive_landing_sensor` (every 5 s): for a mirror the archive resource reads from (a local
  folder, or an `s3://bucket/prefix` landing area), one run per (date, symbol) partition with newly
  landed archive files: those files' raw assets and, once the partition is complete, what is
  downstream of them in this location (`run_selection`). A file whose sha256 `raw.load_log` already
  holds for its partition is skipped (`landing_runs`): switched on over a loaded mirror, it requests
  nothing; a replaced archive (new checksum) loads again.
- `archive_poller` (ticks every minute): for an http(s) base URL (data.binance.vision), per symbol,
  probes the day after the last one loaded (`raw.load_log`) and requests one run of the three raw
  assets for that partition once all three archives are published; backs off while they are not, on a
  schedule that meets the raw deadline (binance_assets.automation.poller). Every hour it also re-reads
  the `.CHECKSUM`s of the last `recheck_days` loaded days and requests a reload of a replaced archive.

Their default status in each environment is the table in binance_assets.automation.defaults. Each one
skips (with a reason) when the archive base URL is not of its kind. Their runs execute the raw assets'
partition checks, never the deadline checks (binance_assets.automation.selections).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import dagster as dg
import requests

from binance_assets.automation.deadlines import deadline_for
from binance_assets.automation.defaults import sensor_running
from binance_assets.automation.landing import LocalMirror, MirrorSource, S3Mirror, find_landed
from binance_assets.automation.landing_runs import LoadedSha256, plan_partition_loads
from binance_assets.automation.load_log import last_loaded_days
from binance_assets.automation.poller import (
    PollState,
    ProbeError,
    day_specs,
    is_http_url,
    make_session,
    next_expected_day,
    probe,
)
from binance_assets.automation.recheck import fetch_checksum, recheck_window, replaced_archives
from binance_assets.automation.run_timing import sensor_interval_seconds
from binance_assets.automation.selections import partition_run_checks
from binance_assets.binance.archive_client import mirror_root
from binance_assets.ingestion.assets import raw_asset_key
from binance_assets.ingestion.partitions import DaySymbol
from binance_assets.resources import ArchiveResource, WarehouseResource
from binance_assets.settings import Settings
from binance_assets.warehouse import DuckDBWarehouse, Warehouse, WarehouseLockTimeout
from binance_assets.warehouse.tables import RAW_TABLES, RAW_TABLES_BY_KIND

LANDING_SENSOR = "archive_landing_sensor"
POLLER_SENSOR = "archive_poller"
RAW_ASSET_KEYS: list[dg.AssetKey] = [raw_asset_key(name) for name in RAW_TABLES]
MAX_RUNS_PER_TICK = 200
# A tick lists the mirror and, only when files landed, reads raw.load_log: cheap enough to run often.
LANDING_INTERVAL_SECONDS = 5
MAX_DAYS_PER_TICK = 7
# How long the poller waits for the DuckDB file lock before skipping a tick (a load or dbt may hold it).
WAREHOUSE_WAIT_SECONDS = 20.0

TAG_PATH = "binance/archive_path"
TAG_SHA256 = "binance/sha256"
TAG_LANDED_AT = "binance/landed_at"
TAG_SOURCE = "binance/source"
TAG_REASON = "binance/reason"
POLL_TICK_SECONDS = 60

# A job (e.g. the ingestion job) or anything `AssetSelection.from_coercible` takes; must include the raw assets.
SensorTarget = Any


def _status(running: bool) -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED


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


# --- landing ----------------------------------------------------------------------------------------


def build_landing_sensor(
    settings: Settings,
    target: SensorTarget = None,
    *,
    running: bool | None = None,
    max_runs_per_tick: int = MAX_RUNS_PER_TICK,
    minimum_interval_seconds: int | None = None,
) -> dg.SensorDefinition:
    """One run per partition with newly landed archive files in a local or S3 mirror (see the module docstring).

    `target` must contain the raw assets (default: them and everything downstream of them in the location).
    """

    interval = minimum_interval_seconds or sensor_interval_seconds(settings, LANDING_INTERVAL_SECONDS)

    @dg.sensor(
        name=LANDING_SENSOR,
        minimum_interval_seconds=interval,
        target=target if target is not None else market_downstream(),
        default_status=_status(sensor_running(LANDING_SENSOR, settings.env) if running is None else running),
        description=(
            "One run per (date, symbol) partition with newly landed daily archives (zip + .CHECKSUM) in the "
            "local or S3 mirror: those files' raw assets. Files whose sha256 raw.load_log holds are skipped."
        ),
    )
    def archive_landing_sensor(
        context: dg.SensorEvaluationContext, archive: ArchiveResource, warehouse: WarehouseResource
    ):
        source = mirror_source(archive.base_url, settings)
        if source is None:
            yield dg.SkipReason(f"{archive.base_url} is http(s), not a landing folder: {POLLER_SENSOR} polls it")
            return
        files, cursor = find_landed(
            source,
            context.cursor,
            settings.symbols,
            min_day=settings.start_date,
            max_day=last_partition_day(),
            limit=max_runs_per_tick,
        )
        try:
            loads, skipped = plan_partition_loads(files, warehouse_sha256(warehouse) if files else _nothing_loaded)
        except WarehouseLockTimeout as exc:  # the cursor stays: the same files are looked at next tick
            yield dg.SkipReason(f"warehouse busy, trying again next tick: {exc}")
            return
        for load in loads:
            landed_at = datetime.fromtimestamp(max(f.landed_at_ns for f in load.files) / 1e9, UTC)
            selection = run_selection(context, [raw_asset_key(table) for table in load.tables], load.complete)
            yield dg.RunRequest(
                run_key=load.run_key,
                partition_key=DaySymbol(load.day, load.symbol).key(),
                asset_selection=selection,
                asset_check_keys=partition_run_checks(context.repository_def, selection),
                tags={
                    TAG_PATH: ",".join(f.relative_path for f in load.files),
                    TAG_SHA256: ",".join(f.sha256 for f in load.files),
                    TAG_LANDED_AT: landed_at.isoformat(),
                    TAG_SOURCE: LANDING_SENSOR,
                },
            )
        context.update_cursor(cursor)
        if not loads:
            already = f" ({len(skipped)} already loaded with the same sha256)" if skipped else ""
            yield dg.SkipReason(f"no newly landed archives in {archive.base_url}{already}")

    return archive_landing_sensor


# --- poller -----------------------------------------------------------------------------------------


def market_downstream() -> dg.AssetSelection:
    """The raw assets and what is downstream of them with the same (date, symbol) partitions; the merchant's
    daily-partitioned marts (they read `fct_bars_1m`) follow through their own automation."""
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
    downstream = dg.AssetSelection.assets(*raw_keys).downstream().resolve(graph)
    later = sorted(
        (key for key in downstream - set(raw_keys) if graph.get(key).partitions_def == partitions),
        key=lambda key: key.to_user_string(),
    )
    return [*raw_keys, *later]


def warehouse_sha256(resource: WarehouseResource) -> LoadedSha256:
    """`(table, day, symbol) -> sha256` of the archive `raw.load_log` holds for that partition, or None."""
    warehouse = _warehouse_for_sensor(resource)
    return lambda table, day, symbol: warehouse.loaded_sha256(table, day, symbol)


def _nothing_loaded(table: str, day: date, symbol: str) -> None:
    return None


def _warehouse_for_sensor(resource: WarehouseResource) -> Warehouse:
    """The resource's warehouse, but waiting at most WAREHOUSE_WAIT_SECONDS for DuckDB's file lock."""
    warehouse = resource.open()
    if isinstance(warehouse, DuckDBWarehouse):
        warehouse.lock_timeout = min(warehouse.lock_timeout, WAREHOUSE_WAIT_SECONDS)
    return warehouse


def build_archive_poller(
    settings: Settings,
    target: SensorTarget = None,
    *,
    running: bool | None = None,
    max_days_per_tick: int = MAX_DAYS_PER_TICK,
    session_factory: Callable[[], requests.Session] = make_session,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dg.SensorDefinition:
    """Polls an http(s) archive for each symbol's next day, and re-checks recently loaded days (see the
    module docstring). `clock` is the sensor's time (tests pass a fake one)."""

    @dg.sensor(
        name=POLLER_SENSOR,
        minimum_interval_seconds=POLL_TICK_SECONDS,
        target=target if target is not None else RAW_ASSET_KEYS,
        default_status=_status(sensor_running(POLLER_SENSOR, settings.env) if running is None else running),
        description=(
            "For an http(s) archive (data.binance.vision): per symbol, probes the day after the last "
            "loaded one and requests its raw partition once all three archives are published, backing off "
            "on a schedule that meets the raw deadline; re-checks the CHECKSUMs of recently loaded days "
            "and reloads a replaced archive."
        ),
    )
    def archive_poller(context: dg.SensorEvaluationContext, archive: ArchiveResource, warehouse: WarehouseResource):
        base_url = archive.base_url
        if not is_http_url(base_url):
            yield dg.SkipReason(f"{base_url} is not http(s): the {LANDING_SENSOR} sensor watches it")
            return
        now = clock()
        try:
            wh = _warehouse_for_sensor(warehouse)
            last_loaded = last_loaded_days(wh, list(settings.symbols))
        except WarehouseLockTimeout as exc:
            yield dg.SkipReason(f"warehouse busy, trying again next tick: {exc}")
            return
        state = PollState.from_json(context.cursor)
        state.retain(settings.symbols)
        for symbol in settings.symbols:
            state.expect(symbol, next_expected_day(last_loaded.get(symbol), settings.start_date))
        checks = partition_run_checks(context.repository_def, RAW_ASSET_KEYS)

        session = session_factory()
        requested: list[str] = []
        notes: list[str] = []
        try:
            for symbol in state.due(now):
                for _ in range(max_days_per_tick):
                    day = state.next_day(symbol)
                    if day > last_partition_day(now):
                        break
                    try:
                        published = all(probe(session, base_url, spec) for spec in day_specs(symbol, day))
                    except (ProbeError, requests.RequestException) as exc:
                        context.log.warning(f"{symbol} {day}: probe failed, trying again next tick: {exc}")
                        notes.append(f"{symbol} {day}: probe failed ({type(exc).__name__})")
                        break
                    if not published:
                        deadline = deadline_for(day, settings.raw_due_hours_after_midnight)
                        wait = state.missing(symbol, now, deadline=deadline)
                        notes.append(f"{symbol} {day}: not published yet, next probe in {wait}")
                        break
                    partition = DaySymbol(day, symbol)
                    yield dg.RunRequest(
                        run_key=str(partition.key()),
                        partition_key=partition.key(),
                        asset_selection=RAW_ASSET_KEYS,
                        asset_check_keys=checks,
                        tags={TAG_SOURCE: POLLER_SENSOR},
                    )
                    requested.append(str(partition.key()))
                    state.published(symbol)
            if state.recheck_due(now):
                try:
                    for request in _replaced_archive_requests(context, session, base_url, wh, last_loaded, settings):
                        yield request
                        requested.append(str(request.run_key))
                    state.rechecked(now)
                except (ProbeError, requests.RequestException, WarehouseLockTimeout) as exc:
                    context.log.warning(f"re-check of recent CHECKSUMs failed, trying again next tick: {exc}")
                    notes.append(f"re-check failed ({type(exc).__name__})")
        finally:
            session.close()
        context.update_cursor(state.to_json())
        if not requested:
            yield dg.SkipReason("; ".join(notes) or "no symbol due (backing off, or waiting for the day to end)")

    return archive_poller


def _replaced_archive_requests(
    context: dg.SensorEvaluationContext,
    session: requests.Session,
    base_url: str,
    warehouse: Warehouse,
    last_loaded: dict[str, date],
    settings: Settings,
) -> list[dg.RunRequest]:
    """A reload request for each archive of the last `recheck_days` loaded days whose published sha256
    is not the loaded one. The run key names the new sha256: each replacement is loaded once."""
    loaded, published = {}, {}
    for symbol in settings.symbols:
        for day in recheck_window(last_loaded.get(symbol), settings.recheck_days):
            for spec in day_specs(symbol, day):
                table = RAW_TABLES_BY_KIND[spec.kind].name
                sha = warehouse.loaded_sha256(table, day, symbol)
                if sha:
                    loaded[spec] = sha
                    published[spec] = fetch_checksum(session, base_url, spec)
    requests_ = []
    for spec, new_sha in sorted(replaced_archives(loaded, published).items(), key=lambda item: item[0].relative_path):
        key = raw_asset_key(RAW_TABLES_BY_KIND[spec.kind].name)
        partition = DaySymbol(spec.day, spec.symbol)
        context.log.info(f"{spec.relative_path}: replaced upstream (sha256 {loaded[spec]} -> {new_sha}), reloading")
        requests_.append(
            dg.RunRequest(
                run_key=f"{spec.relative_path}@{new_sha}",
                partition_key=partition.key(),
                asset_selection=[key],
                asset_check_keys=partition_run_checks(context.repository_def, [key]),
                tags={TAG_SOURCE: POLLER_SENSOR, TAG_SHA256: new_sha, TAG_REASON: "replaced archive"},
            )
        )
    return requests_


def build_landing_defs(settings: Settings, *, running: bool | None = None) -> dg.Definitions:
    """Both archive sensors. Merge into a location that has the raw assets and the `archive` and
    `warehouse` resources (binance_assets.definitions)."""
    return dg.Definitions(
        sensors=[
            build_landing_sensor(settings, running=running),
            build_archive_poller(settings, running=running),
        ]
    )
