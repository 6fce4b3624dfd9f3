"""`archive_poller` (ticks every minute): for an http(s) base URL (data.binance.vision), per symbol, probes
the day after the last one loaded (`raw.load_log`); the symbols whose archives of a day are all published
make one run of the raw assets for that day (run config and tag `binance/symbols` name them); it backs
off while they are not, on a schedule that meets the raw deadline (binance_assets.automation.poller). Every
hour it also re-reads the `.CHECKSUM`s of the last `recheck_days` loaded days and requests a reload of a
replaced archive. It skips (with a reason) for
a mirror, which `archive_landing_sensor` watches (binance_assets.automation.landing_sensor)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime

import dagster as dg
import requests

from binance_assets.automation.deadlines import deadline_for
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
from binance_assets.automation.selections import partition_run_checks
from binance_assets.automation.sensor_support import (
    LANDING_SENSOR,
    POLLER_SENSOR,
    RAW_ASSET_KEYS,
    TAG_REASON,
    TAG_SHA256,
    TAG_SOURCE,
    SensorTarget,
    last_partition_day,
    warehouse_for_sensor,
)
from binance_assets.binance.datasets import raw_datasets
from binance_assets.binance.schema import Market
from binance_assets.ingestion.assets import symbols_run_config
from binance_assets.lib.defaults import sensor_status
from binance_assets.lib.keys import raw_asset_key
from binance_assets.lib.partitions import day_key, scope_tags
from binance_assets.lib.resources import ArchiveResource, WarehouseResource
from binance_assets.settings import Settings
from binance_assets.warehouse import Warehouse, WarehouseLockTimeout
from binance_assets.warehouse.tables import raw_table_for_archive
from binance_assets.warehouse.universe import universe_for

MAX_DAYS_PER_TICK = 7
POLL_TICK_SECONDS = 60


# The raw assets of the archives the poller polls (`poller.day_specs`: the spot universe's).
POLLED_KEYS = [raw_asset_key(ds.id) for ds in raw_datasets() if ds.market is Market.SPOT]


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
        default_status=sensor_status(POLLER_SENSOR, settings.env, running),
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
            wh = warehouse_for_sensor(warehouse)
            # Every symbol of the universe since the start date, each from its listing to its delisting.
            universe = universe_for(settings, wh)
            last_day_now = last_partition_day(now)
            symbols = (
                universe.symbols_between(settings.start_date, last_day_now)
                if last_day_now >= settings.start_date else []
            )
            last_loaded = last_loaded_days(wh, symbols)
        except WarehouseLockTimeout as exc:
            yield dg.SkipReason(f"warehouse busy, trying again next tick: {exc}")
            return
        state = PollState.from_json(context.cursor)
        state.retain(symbols)
        for symbol in symbols:
            first = max(settings.start_date, universe.listing(symbol).first_day)
            state.expect(symbol, next_expected_day(last_loaded.get(symbol), first))
        checks = partition_run_checks(context.repository_def, POLLED_KEYS)

        session = session_factory()
        requested: list[str] = []
        notes: list[str] = []
        published_days: dict[date, list[str]] = {}
        try:
            for symbol in state.due(now):
                for _ in range(max_days_per_tick):
                    day = state.next_day(symbol)
                    last_day = universe.listing(symbol).last_day
                    if day > last_partition_day(now) or (last_day is not None and day > last_day):
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
                    published_days.setdefault(day, []).append(symbol)
                    state.published(symbol)
            for day, symbols in sorted(published_days.items()):
                request = _day_request(day, symbols, checks)
                yield request
                requested.append(str(request.run_key))
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
    for symbol in sorted(last_loaded):
        for day in recheck_window(last_loaded.get(symbol), settings.recheck_days):
            for spec in day_specs(symbol, day):
                table = _table_name(spec)
                sha = warehouse.loaded_sha256(table, day, symbol)
                if sha:
                    loaded[spec] = sha
                    published[spec] = fetch_checksum(session, base_url, spec)
    by_day: dict[date, dict[str, list]] = {}
    for spec, new_sha in sorted(replaced_archives(loaded, published).items(), key=lambda item: item[0].relative_path):
        context.log.info(f"{spec.relative_path}: replaced upstream (sha256 {loaded[spec]} -> {new_sha}), reloading")
        by_day.setdefault(spec.day, {}).setdefault(_table_name(spec), []).append((spec, new_sha))
    requests_ = []
    for day, tables in sorted(by_day.items()):
        keys = [raw_asset_key(table) for table in tables]
        replaced = [item for items in tables.values() for item in items]
        requests_.append(
            dg.RunRequest(
                run_key=",".join(f"{spec.relative_path}@{sha}" for spec, sha in replaced)[:4000]
                if len(replaced) < 20 else f"{day}|replaced|{_digest([f'{s.relative_path}@{h}' for s, h in replaced])}",
                partition_key=day_key(day),
                asset_selection=keys,
                asset_check_keys=partition_run_checks(context.repository_def, keys),
                run_config=symbols_run_config({t: [spec.symbol for spec, _ in items] for t, items in tables.items()}),
                tags={**scope_tags(spec.symbol for spec, _ in replaced), TAG_SOURCE: POLLER_SENSOR,
                      TAG_SHA256: ",".join(sha for _, sha in replaced)[:2000], TAG_REASON: "replaced archive"},
            )
        )
    return requests_


def _digest(values: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(values)).encode()).hexdigest()[:16]


def _day_request(day: date, symbols: list[str], checks) -> dg.RunRequest:
    """One run of every raw table for the symbols whose archives of `day` are all published."""
    symbols = sorted(symbols)
    return dg.RunRequest(
        run_key=f"{day_key(day)}|{','.join(symbols)}" if len(symbols) <= 20 else f"{day_key(day)}|{_digest(symbols)}",
        partition_key=day_key(day),
        asset_selection=POLLED_KEYS,
        asset_check_keys=checks,
        run_config=symbols_run_config({key.path[-1]: symbols for key in POLLED_KEYS}),
        tags={**scope_tags(symbols), TAG_SOURCE: POLLER_SENSOR},
    )


def _table_name(spec) -> str:
    """The raw table a `day_specs` archive loads into (each is a loaded dataset's)."""
    table = raw_table_for_archive(spec.market, spec.kind, spec.interval)
    if table is None:
        raise KeyError(f"{spec.relative_path}: no raw table loads it")
    return table.name
