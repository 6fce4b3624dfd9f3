"""`archive_poller` (ticks every minute): for an http(s) base URL (data.binance.vision), per symbol of each
market the warehouse loads (spot's universe; USD-M futures' symbols, `lib.partitions.universe_on`), probes
the day after the last one loaded (`raw.load_log`); the symbols of a market whose archives of a day are all
published make one run of that market's raw assets for that day (run config and tag `binance/symbols` name
them); it backs off while they are not, on a schedule that meets the raw deadline (binance_assets.automation.
poller). Every hour it also re-reads the `.CHECKSUM`s of the last `recheck_days` loaded days and requests a
reload of a replaced archive. It skips (with a reason) for a mirror, which `archive_landing_sensor` watches
(binance_assets.automation.landing_sensor)."""

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
    parse_poll_key,
    poll_key,
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
from binance_assets.lib.partitions import day_key, scope_tags, universe_on
from binance_assets.lib.resources import ArchiveResource, WarehouseResource
from binance_assets.settings import Settings
from binance_assets.warehouse import Warehouse, WarehouseLockTimeout
from binance_assets.warehouse.tables import raw_table_for_archive
from binance_assets.warehouse.universe import universe_for

MAX_DAYS_PER_TICK = 7
POLL_TICK_SECONDS = 60


# The markets the warehouse loads (the registry's, in declaration order), and each one's raw assets: a day of a
# market's symbol is published once every archive of `poller.day_specs` is.
MARKETS = list(dict.fromkeys(ds.market for ds in raw_datasets()))


def polled_keys(market: Market) -> list[dg.AssetKey]:
    return [raw_asset_key(ds.id) for ds in raw_datasets() if ds.market is market]


POLLED_KEYS = polled_keys(Market.SPOT)


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
            subjects = _polled(settings, wh, last_partition_day(now))
            last_loaded: dict[str, date] = {}
            for market in MARKETS:
                symbols = [symbol for m, symbol, _, _ in subjects.values() if m is market]
                for symbol, day in last_loaded_days(wh, symbols, market).items():
                    last_loaded[poll_key(market, symbol)] = day
        except WarehouseLockTimeout as exc:
            yield dg.SkipReason(f"warehouse busy, trying again next tick: {exc}")
            return
        state = PollState.from_json(context.cursor)
        state.retain(subjects)
        for key, (_, _, first, _) in subjects.items():
            state.expect(key, next_expected_day(last_loaded.get(key), first))
        checks = {market: partition_run_checks(context.repository_def, polled_keys(market)) for market in MARKETS}

        session = session_factory()
        requested: list[str] = []
        notes: list[str] = []
        published_days: dict[tuple[date, int], list[str]] = {}
        try:
            for key in state.due(now):
                market, symbol, _, last_day = subjects[key]
                for _ in range(max_days_per_tick):
                    day = state.next_day(key)
                    if day > last_partition_day(now) or (last_day is not None and day > last_day):
                        break
                    try:
                        published = all(probe(session, base_url, spec) for spec in day_specs(symbol, day, market))
                    except (ProbeError, requests.RequestException) as exc:
                        context.log.warning(f"{symbol} {day}: probe failed, trying again next tick: {exc}")
                        notes.append(f"{key} {day}: probe failed ({type(exc).__name__})")
                        break
                    if not published:
                        deadline = deadline_for(day, settings.raw_due_hours_after_midnight)
                        wait = state.missing(key, now, deadline=deadline)
                        notes.append(f"{key} {day}: not published yet, next probe in {wait}")
                        break
                    published_days.setdefault((day, MARKETS.index(market)), []).append(symbol)
                    state.published(key)
            for (day, index), symbols in sorted(published_days.items()):
                market = MARKETS[index]
                request = _day_request(day, symbols, checks[market], market)
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
    for key in sorted(last_loaded):
        market, symbol = parse_poll_key(key)
        for day in recheck_window(last_loaded.get(key), settings.recheck_days):
            for spec in day_specs(symbol, day, market):
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


Polled = tuple[Market, str, date, date | None]  # market, symbol, first day, last day (None: still listed)


def _polled(settings: Settings, warehouse: Warehouse, last_day: date) -> dict[str, Polled]:
    """poll key -> (market, symbol, first day, last day or None) of every symbol polled: the spot universe's since
    the start date, each from its listing to its delisting; the other markets' symbol lists (`universe_on`)."""
    if last_day < settings.start_date:
        return {}
    universe = universe_for(settings, warehouse)
    out: dict[str, Polled] = {}
    for symbol in universe.symbols_between(settings.start_date, last_day):
        listing = universe.listing(symbol)
        out[symbol] = (Market.SPOT, symbol, max(settings.start_date, listing.first_day), listing.last_day)
    for market in MARKETS:
        if market is not Market.SPOT:
            for symbol in universe_on(settings, warehouse, last_day, market):
                out[poll_key(market, symbol)] = (market, symbol, settings.start_date, None)
    return out


def _day_request(day: date, symbols: list[str], checks, market: Market = Market.SPOT) -> dg.RunRequest:
    """One run of `market`'s raw tables for its symbols whose archives of `day` are all published."""
    symbols, keys = sorted(symbols), polled_keys(market)
    prefix = day_key(day) if market is Market.SPOT else f"{day_key(day)}|{market.value}"
    return dg.RunRequest(
        run_key=f"{prefix}|{','.join(symbols)}" if len(symbols) <= 20 else f"{prefix}|{_digest(symbols)}",
        partition_key=day_key(day),
        asset_selection=keys,
        asset_check_keys=checks,
        run_config=symbols_run_config({key.path[-1]: symbols for key in keys}),
        tags={**scope_tags(symbols), TAG_SOURCE: POLLER_SENSOR},
    )


def _table_name(spec) -> str:
    """The raw table a `day_specs` archive loads into (each is a loaded dataset's)."""
    table = raw_table_for_archive(spec.market, spec.kind, spec.interval)
    if table is None:
        raise KeyError(f"{spec.relative_path}: no raw table loads it")
    return table.name
