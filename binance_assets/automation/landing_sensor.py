"""`archive_landing_sensor` (every 5 s; locally on every pass of the sensor daemon): for a mirror the archive
resource reads from (a local folder, or an `s3://bucket/prefix` landing area), one run per day with newly
landed archive files: those files' raw assets, each loading the symbols whose file landed (run config), and
once every symbol of the run is complete, what is downstream of them in this location (`run_selection`),
scoped to those symbols (run tag `binance/symbols`). A file whose sha256 `raw.load_log` already
holds for its partition is skipped (`landing_runs`): switched on over a loaded mirror, it requests
nothing; a replaced archive (new checksum) loads again. It skips (with a reason) for an http(s) archive,
which `archive_poller` polls (binance_assets.automation.poller_sensor)."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from binance_assets.automation.landing import find_landed
from binance_assets.automation.landing_runs import day_runs, plan_partition_loads
from binance_assets.automation.selections import partition_run_checks
from binance_assets.automation.sensor_support import (
    LANDING_SENSOR,
    POLLER_SENSOR,
    TAG_LANDED_AT,
    TAG_PATH,
    TAG_SHA256,
    TAG_SOURCE,
    SensorTarget,
    last_partition_day,
    market_downstream,
    mirror_source,
    nothing_loaded,
    run_selection,
    warehouse_for_sensor,
    warehouse_sha256,
)
from binance_assets.ingestion.assets import symbols_run_config
from binance_assets.lib.defaults import sensor_status
from binance_assets.lib.keys import raw_asset_key
from binance_assets.lib.partitions import day_key, scope_tags, universe_on
from binance_assets.lib.resources import ArchiveResource, WarehouseResource
from binance_assets.lib.run_timing import sensor_interval_seconds
from binance_assets.settings import Settings
from binance_assets.warehouse import WarehouseLockTimeout
from binance_assets.warehouse.load_log import LOAD_LOG

# Files looked at per tick: a day of the whole exchange (~2,000 symbols x 3 archives) fits in one tick, one run.
MAX_FILES_PER_TICK = 20_000
# A tick lists the mirror and, only when files landed, reads raw.load_log: cheap enough to run often.
LANDING_INTERVAL_SECONDS = 5


def build_landing_sensor(
    settings: Settings,
    target: SensorTarget = None,
    *,
    running: bool | None = None,
    max_files_per_tick: int = MAX_FILES_PER_TICK,
    minimum_interval_seconds: int | None = None,
) -> dg.SensorDefinition:
    """One run per day with newly landed archive files in a local or S3 mirror (see the module docstring).

    `target` must contain the raw assets (default: them and everything downstream of them in the location).
    """

    interval = minimum_interval_seconds or sensor_interval_seconds(settings, LANDING_INTERVAL_SECONDS)

    @dg.sensor(
        name=LANDING_SENSOR,
        minimum_interval_seconds=interval,
        target=target if target is not None else market_downstream(),
        default_status=sensor_status(LANDING_SENSOR, settings.env, running),
        description=(
            "One run per day with newly landed daily archives (zip + .CHECKSUM) in the local or S3 mirror: "
            f"those files' raw assets, for the symbols whose files landed. Files whose sha256 {LOAD_LOG} holds "
            "are skipped."
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
            None,
            min_day=settings.start_date,
            max_day=last_partition_day(),
            limit=max_files_per_tick,
        )
        try:
            # Only the day's universe (listed, not delisted, the settings' filters): other files are passed over.
            files = _in_universe(files, settings, warehouse) if files else files
            loads, skipped = plan_partition_loads(files, warehouse_sha256(warehouse) if files else nothing_loaded)
        except WarehouseLockTimeout as exc:  # the cursor stays: the same files are looked at next tick
            yield dg.SkipReason(f"warehouse busy, trying again next tick: {exc}")
            return
        for run in day_runs(loads):
            landed_at = datetime.fromtimestamp(max(f.landed_at_ns for f in run.files) / 1e9, UTC)
            selection = run_selection(context, [raw_asset_key(table) for table in run.tables], run.complete)
            yield dg.RunRequest(
                run_key=run.run_key,
                partition_key=day_key(run.day),
                asset_selection=selection,
                asset_check_keys=partition_run_checks(context.repository_def, selection),
                run_config=symbols_run_config(run.symbols_by_table()),
                tags={
                    **scope_tags(run.symbols),
                    TAG_PATH: _joined([f.relative_path for f in run.files]),
                    TAG_SHA256: _joined([f.sha256 for f in run.files]),
                    TAG_LANDED_AT: landed_at.isoformat(),
                    TAG_SOURCE: LANDING_SENSOR,
                },
            )
        context.update_cursor(cursor)
        if not loads:
            already = f" ({len(skipped)} already loaded with the same sha256)" if skipped else ""
            yield dg.SkipReason(f"no newly landed archives in {archive.base_url}{already}")

    return archive_landing_sensor


def _joined(values: list[str], limit: int = 2000) -> str:
    """A run tag listing files: all of them, or as many as fit and how many more (a day of the universe has
    thousands; the run's config and raw.load_log name every one)."""
    text = ",".join(values)
    if len(text) <= limit:
        return text
    shown = text[:limit].rsplit(",", 1)[0]
    return f"{shown},... ({len(values)} files)"


def _in_universe(files: list, settings: Settings, warehouse: WarehouseResource) -> list:
    wh = warehouse_for_sensor(warehouse)
    wanted = {(f.day, f.raw_table.dataset.market) for f in files}  # each market has its own symbols
    universe = {(day, market): set(universe_on(settings, wh, day, market)) for day, market in wanted}
    return [f for f in files if f.symbol in universe[(f.day, f.raw_table.dataset.market)]]
