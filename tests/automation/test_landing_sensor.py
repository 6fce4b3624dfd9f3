"""The landing sensor: one run per (day, symbol) with newly landed files, nothing for files the warehouse holds.

Real files on disk, a real DuckDB warehouse, a real moto S3 server on loopback, a real Dagster instance.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import dagster as dg

from binance_assets.automation.landing import LandedFile, parse_archive_path
from binance_assets.automation.landing_runs import plan_partition_loads
from binance_assets.automation.landing_sensor import build_landing_sensor
from binance_assets.automation.sensor_support import LANDING_SENSOR, POLLER_SENSOR, TAG_PATH, TAG_SHA256, TAG_SOURCE
from binance_assets.automation.sensors import build_landing_defs
from binance_assets.binance.checksum import format_checksum, sha256_file
from binance_assets.binance.schema import ArchiveKind, Market
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.ingestion.definitions import build_ingestion_defs
from binance_assets.lib.keys import raw_asset_key
from binance_assets.lib.partitions import SYMBOLS_TAG
from binance_assets.lib.resources import archive_resource, warehouse_resource
from binance_assets.lib.rest_resources import PUBLIC_REST_KEY, rest_resources
from binance_assets.settings import Environment, Settings
from binance_assets.warehouse import RAW_TABLES, RAW_TABLES_BY_KIND

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
START = dt.date(2025, 1, 1)
DAY2 = START + dt.timedelta(days=1)
DAY3 = START + dt.timedelta(days=2)
RAW_KEYS = [raw_asset_key(name) for name in ("spot_trades", "spot_agg_trades", "spot_klines_1m")]


def spec(symbol: str, kind: ArchiveKind, day: dt.date) -> ArchiveSpec:
    return ArchiveSpec(symbol, kind, day=day, market=Market.SPOT)


def copy_in(src_root: Path, dst_root: Path, rel: str) -> None:
    (dst_root / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src_root / rel, dst_root / rel)


def replace_archive(mirror: Path, target: ArchiveSpec, source: Path) -> None:
    """Binance replaced the archive: new bytes under the same name, and a CHECKSUM that matches them."""
    shutil.copyfile(source, mirror / target.relative_path)
    (mirror / target.checksum_relative_path).write_text(
        format_checksum(sha256_file(mirror / target.relative_path), Path(target.relative_path).name)
    )


def make_settings(tmp_path: Path, base_url: str, **extra) -> Settings:
    return Settings(
        env=Environment.LOCAL,
        data_dir=tmp_path / "data",
        duckdb_path=tmp_path / "warehouse.duckdb",
        archive_base_url=base_url,
        symbols=SYMBOLS,
        start_date=extra.pop("start_date", START),
        **extra,
    )


def resources(settings: Settings) -> dict:
    # The raw assets also take the REST resource (their gap-fill source); never called in these tests.
    rest = {PUBLIC_REST_KEY: rest_resources(settings)[PUBLIC_REST_KEY]}
    return {"archive": archive_resource(settings), "warehouse": warehouse_resource(settings), **rest}


def evaluate(sensor: dg.SensorDefinition, instance: dg.DagsterInstance, cursor: str | None, settings: Settings):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources(settings))
    results = list(sensor(context))
    requests = [r for r in results if isinstance(r, dg.RunRequest)]
    skips = [r for r in results if isinstance(r, dg.SkipReason)]
    assert not (requests and skips)
    return requests, context.cursor


def assert_request_for(request: dg.RunRequest, mirror: Path) -> list[ArchiveSpec]:
    """The request loads exactly the files its tags name, all of its day (each raw table the symbols whose file
    of it landed, by run config; the run's scope is those symbols); returns their specs."""
    rels = request.tags[TAG_PATH].split(",")
    specs = [parse_archive_path(rel) for rel in rels]
    assert {s.day.isoformat() for s in specs} == {request.partition_key}
    tables = {RAW_TABLES_BY_KIND[s.kind].name for s in specs}
    assert request.asset_selection == [raw_asset_key(t) for t in RAW_TABLES if t in tables]
    config = {op: c["config"]["symbols"] for op, c in request.run_config["ops"].items()}
    expected: dict[str, list[str]] = {}
    for s in specs:
        expected.setdefault(f"raw__{RAW_TABLES_BY_KIND[s.kind].name}", []).append(s.symbol)
    assert config == {op: sorted(symbols) for op, symbols in expected.items()}
    assert request.tags[SYMBOLS_TAG] == ",".join(sorted({s.symbol for s in specs}))
    assert request.tags[TAG_SHA256].split(",") == [sha256_file(mirror / rel) for rel in rels]
    assert request.tags[TAG_SOURCE] == LANDING_SENSOR
    return specs


def landed(symbol: str, kind: ArchiveKind, day: dt.date, sha: str, at: int = 1) -> LandedFile:
    s = spec(symbol, kind, day)
    return LandedFile(s.relative_path, kind, symbol, day, at, format_checksum(sha, Path(s.relative_path).name))


# --- planning (pure) ----------------------------------------------------------------------------------------


def test_plan_batches_a_partition_and_skips_what_the_warehouse_holds() -> None:
    files = [landed(s, k, START, c * 64) for s in SYMBOLS for k, c in zip(ArchiveKind, "abc", strict=False)]
    holds = {("spot_agg_trades", START, "ETHUSDT"): "b" * 64, ("spot_trades", START, "ETHUSDT"): "0" * 64}
    loads, skipped = plan_partition_loads(files, lambda t, d, s: holds.get((t, d, s)))
    assert [(load.symbol, load.tables) for load in loads] == [
        ("BTCUSDT", ["spot_trades", "spot_agg_trades", "spot_klines_1m"]),
        ("ETHUSDT", ["spot_trades", "spot_klines_1m"]),  # trades: another version is loaded; aggTrades: this one
    ]
    assert [(f.symbol, f.kind) for f in skipped] == [("ETHUSDT", ArchiveKind.AGG_TRADES)]
    assert all(load.complete for load in loads)  # ETHUSDT's aggTrades is in the warehouse already
    again, _ = plan_partition_loads(list(reversed(files)), lambda t, d, s: holds.get((t, d, s)))
    assert [load.run_key for load in again] == [load.run_key for load in loads]


def test_plan_keeps_the_latest_version_of_a_file_and_keys_runs_by_content() -> None:
    old = landed("BTCUSDT", ArchiveKind.TRADES, START, "a" * 64, at=1)
    new = landed("BTCUSDT", ArchiveKind.TRADES, START, "d" * 64, at=2)
    (load,), _ = plan_partition_loads([new, old], lambda *_: None)
    assert load.files == (new,)
    assert not load.complete  # aggTrades and klines of that day are not there: downstream must wait
    (load_old,), _ = plan_partition_loads([old], lambda *_: None)
    assert load.run_key != load_old.run_key
    assert plan_partition_loads([new], lambda *_: "d" * 64) == ([], [new])


# --- the sensor ---------------------------------------------------------------------------------------------


def test_landing_sensor_requests_one_run_per_partition(dagster_instance, mirror, extra_day, tmp_path) -> None:
    settings = make_settings(tmp_path, str(mirror))
    sensor = build_landing_sensor(settings)
    assert sensor.name == LANDING_SENSOR
    assert sensor.minimum_interval_seconds == 1  # locally: every pass of the sensor daemon
    assert sensor.default_status is dg.DefaultSensorStatus.RUNNING
    instance = dagster_instance
    requests, cursor = evaluate(sensor, instance, None, settings)
    # One run per day, every symbol whose files landed in it.
    assert sorted(str(r.partition_key) for r in requests) == [START.isoformat(), DAY2.isoformat()]
    for request in requests:
        assert request.asset_selection == RAW_KEYS
        assert {s.symbol for s in assert_request_for(request, mirror)} == set(SYMBOLS)
    assert len({r.run_key for r in requests}) == 2

    assert evaluate(sensor, instance, cursor, settings)[0] == []

    # A zip without its CHECKSUM: no request yet; with it: one run of that one asset.
    one = spec("ETHUSDT", ArchiveKind.AGG_TRADES, DAY3)
    copy_in(extra_day, mirror, one.relative_path)
    requests, cursor = evaluate(sensor, instance, cursor, settings)
    assert requests == []
    copy_in(extra_day, mirror, one.checksum_relative_path)
    (request,), cursor = evaluate(sensor, instance, cursor, settings)
    assert request.tags[TAG_PATH] == one.relative_path
    assert request.partition_key == DAY3.isoformat()
    assert request.asset_selection == [raw_asset_key("spot_agg_trades")]
    assert request.tags[SYMBOLS_TAG] == "ETHUSDT"  # a late file costs that file


def test_landing_sensor_ignores_days_before_start_date(dagster_instance, mirror, tmp_path) -> None:
    settings = make_settings(tmp_path, str(mirror), start_date=DAY2)
    requests, _ = evaluate(build_landing_sensor(settings), dagster_instance, None, settings)
    assert [str(r.partition_key) for r in requests] == [DAY2.isoformat()]


def test_landing_sensor_skips_http_sources(dagster_instance, tmp_path) -> None:
    settings = make_settings(tmp_path, "https://data.binance.vision")
    context = dg.build_sensor_context(instance=dagster_instance, resources=resources(settings))
    results = list(build_landing_sensor(settings)(context))
    assert len(results) == 1
    assert isinstance(results[0], dg.SkipReason)
    assert POLLER_SENSOR in results[0].skip_message


def test_landing_sensor_on_s3(
    dagster_instance, s3_client, bucket, upload_mirror, pristine_mirror, moto_endpoint, tmp_path
) -> None:
    upload_mirror(pristine_mirror, "landing")
    settings = make_settings(tmp_path, f"s3://{bucket}/landing", s3_endpoint_url=moto_endpoint)
    sensor = build_landing_sensor(settings)
    requests, cursor = evaluate(sensor, dagster_instance, None, settings)
    assert len(requests) == 2  # one per day
    for request in requests:
        assert_request_for(request, pristine_mirror)
    assert evaluate(sensor, dagster_instance, cursor, settings)[0] == []


def test_switched_on_over_a_loaded_mirror_it_requests_nothing_but_replaced_files(
    dagster_instance, mirror, extra_day, tmp_path
) -> None:
    settings = make_settings(tmp_path, str(mirror))
    defs = dg.Definitions.merge(
        build_ingestion_defs(settings), build_landing_defs(settings), dg.Definitions(resources=resources(settings))
    )
    dg.Definitions.validate_loadable(defs)
    repository = defs.get_repository_def()
    sensor = repository.get_sensor_def(LANDING_SENSOR)

    instance = dagster_instance
    context = dg.build_sensor_context(instance=instance, repository_def=repository, resources=resources(settings))
    data = sensor.evaluate_tick(context)  # resolves the requests against the code location
    loaded = DAY2.isoformat()
    request = next(r for r in data.run_requests if r.partition_key == loaded)
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, partition_key=request.partition_key, asset_selection=request.asset_selection,
        tags=request.tags, run_config=request.run_config,
    )
    assert result.success
    assert {e.asset_key for e in result.get_asset_materialization_events()} == set(RAW_KEYS)
    assert {e.partition for e in result.get_asset_materialization_events()} == {loaded}

    # Switched on afresh (no cursor): the loaded day is not requested again, the other day is.
    requests, cursor = evaluate(sensor, instance, None, settings)
    assert [r.partition_key for r in requests] == [START.isoformat()]

    # Binance replaces one archive of the loaded partition: that file alone is loaded again.
    target = spec("BTCUSDT", ArchiveKind.AGG_TRADES, DAY2)
    replace_archive(mirror, target, extra_day / spec("BTCUSDT", ArchiveKind.AGG_TRADES, DAY3).relative_path)
    (request,), _ = evaluate(sensor, instance, cursor, settings)
    assert request.partition_key == loaded
    assert assert_request_for(request, mirror) == [target]
    assert request.tags[SYMBOLS_TAG] == "BTCUSDT"  # the replaced file costs that file


def test_landing_sensor_waits_while_the_warehouse_is_locked(dagster_instance, mirror, tmp_path, monkeypatch) -> None:
    """A tick that cannot read raw.load_log requests nothing and keeps its cursor: the files come next tick."""
    from binance_assets.automation import sensor_support

    settings = make_settings(tmp_path, str(mirror))
    monkeypatch.setattr(sensor_support, "WAREHOUSE_WAIT_SECONDS", 0.5)
    held, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:  # a load or dbt run holds DuckDB's single-writer lock (another thread here)
        with warehouse_resource(settings).get().lock():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert held.wait(30)
        context = dg.build_sensor_context(instance=dagster_instance, resources=resources(settings))
        results = list(build_landing_sensor(settings)(context))
    finally:
        release.set()
        holder.join()
    assert [type(r) for r in results] == [dg.SkipReason] and "busy" in results[0].skip_message
    assert context.cursor is None
    requests, _ = evaluate(build_landing_sensor(settings), dagster_instance, None, settings)
    assert len(requests) == 2


def test_landing_sensor_loads_the_usd_m_symbols_archives(dagster_instance, mirror, tmp_path) -> None:
    """Pins that landed USD-M archives (data/futures/um/...) are loaded for BINANCE_ASSETS_UM_SYMBOLS' symbols, into
    the um_* raw tables (`universe_on` of their market), and ignored without a USD-M symbol."""
    from binance_assets.binance.datasets import raw_datasets
    from binance_assets.binance.simulator import simulate_mirror

    um = [ds for ds in raw_datasets() if ds.market is Market.FUTURES_UM]
    simulate_mirror(mirror, ["BTCUSDT", "SOLUSDT"], START, 1, seed=7, trades_per_day=200, datasets=um)

    def um_ops(settings: Settings) -> dict[str, list[str]]:
        requests, _ = evaluate(build_landing_sensor(settings), dagster_instance, None, settings)
        ops = [(op, c["config"]["symbols"]) for r in requests for op, c in r.run_config["ops"].items()]
        return {op: symbols for op, symbols in ops if op.startswith("raw__um_")}

    with_um = make_settings(tmp_path / "a", str(mirror), um_symbols=["BTCUSDT"])  # SOLUSDT: not a USD-M symbol here
    assert um_ops(with_um) == {f"raw__{ds.id}": ["BTCUSDT"] for ds in um}
    assert um_ops(make_settings(tmp_path / "b", str(mirror), um_symbols=[])) == {}
