"""Gap-fill round trip on DuckDB and PostgreSQL: withhold a day's archive, fill it over REST from the
simulator, then publish the archive: identical rows, and the comparison check says so (or, when REST
and the archive disagree, says that). USD-M futures' day comes from the simulator's `/fapi/v1` routes (the
registry's paths) and equals its archive loaded into another warehouse."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from support.engines import ENGINES, empty_warehouse

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.binance.rest_client import BinanceRestClient
from binance_assets.binance.rest_errors import BinanceApiError
from binance_assets.binance.rest_sim_market import SimMarket
from binance_assets.binance.rest_simulator import RestSimulator
from binance_assets.binance.rest_tables import RestFetcher
from binance_assets.binance.schema import Market
from binance_assets.binance.simulator import simulate_day, simulate_mirror
from binance_assets.ingestion.gapfill_load import compare_rest_copy, gapfill_partition, load_source, rest_copy_symbols
from binance_assets.ingestion.load import load_partition
from binance_assets.warehouse import RAW_TABLES, DuckDBWarehouse, LoadRecord

SYMBOL = "BTCUSDT"
BEFORE, DAY = date(2025, 1, 1), date(2025, 1, 2)
TRADES = 2500


@pytest.fixture(scope="module")
def sim():
    market = SimMarket((SYMBOL,), BEFORE, date(2025, 1, 3), trades_per_day=TRADES, um_symbols=(SYMBOL,))
    with RestSimulator(market, market_data_keys=frozenset({UM_KEY})) as server:
        yield server


@pytest.fixture(params=ENGINES)
def warehouse(request, tmp_path):
    return empty_warehouse(request, tmp_path)

SPOT_TABLES = [t for t in RAW_TABLES.values() if t.dataset.market is Market.SPOT]
UM_TABLES = [t for t in RAW_TABLES.values() if t.dataset.market is Market.FUTURES_UM]
UM_KEY = "a-market-data-key"  # /fapi/v1/historicalTrades wants an API key (no secret)


def same(loaded: pa.Table, expected: pa.Table) -> bool:
    """Equal values and types (the warehouse reads columns back NOT NULL, the simulator's are nullable)."""
    return loaded.cast(expected.schema).equals(expected)


def archive_client(tmp_path, mirror):
    return ArchiveClient(base_url=str(mirror), download_dir=tmp_path / "dl", quarantine_dir=tmp_path / "q")


def test_withheld_day_gap_filled_then_archive_published_identical(sim, warehouse, tmp_path):
    mirror = tmp_path / "mirror"
    simulate_mirror(mirror, [SYMBOL], BEFORE, 1, trades_per_day=TRADES)  # DAY's archive is withheld
    archive = archive_client(tmp_path, mirror)
    for table in SPOT_TABLES:
        load_partition(archive, warehouse, table, BEFORE, SYMBOL)
    fetcher = RestFetcher(BinanceRestClient(sim.base_url))
    expected = simulate_day(SYMBOL, DAY, trades_per_day=TRADES)

    for table in SPOT_TABLES:
        fill = gapfill_partition(fetcher, warehouse, table, DAY, SYMBOL)
        assert fill.reason == "missing" and fill.rows_after == expected.table(table.kind).num_rows > 0
        assert load_source(warehouse.load_log(table.name, SYMBOL, DAY)) == "rest"
        assert same(warehouse.read_partition_arrow(table.name, SYMBOL, DAY), expected.table(table.kind))

    simulate_mirror(mirror, [SYMBOL], DAY, 1, trades_per_day=TRADES)  # the archive is published
    for table in SPOT_TABLES:
        load_partition(archive, warehouse, table, DAY, SYMBOL)
        assert load_source(warehouse.load_log(table.name, SYMBOL, DAY)) == "archive"
        comparison = compare_rest_copy(warehouse, table, DAY, SYMBOL)
        assert comparison is not None and comparison.matches, comparison
        assert comparison.rest_rows == comparison.archive_rows == expected.table(table.kind).num_rows
        # the check's one query for the day: the symbols REST filled (none on the day the archive loaded)
        assert rest_copy_symbols(warehouse, table, DAY) == {SYMBOL}
        assert rest_copy_symbols(warehouse, table, BEFORE) == set()
    # trade ids run on from the previous (archive) day into the REST-filled one
    log_before = warehouse.load_log("spot_trades", SYMBOL, BEFORE)
    assert warehouse.load_log("spot_trades", SYMBOL, DAY)["first_id"] == log_before["last_id"] + 1


def test_usd_m_day_gap_filled_from_fapi_equals_the_same_day_loaded_from_its_archive(sim, warehouse, tmp_path):
    mirror = tmp_path / "mirror"
    simulate_mirror(mirror, [SYMBOL], DAY, 1, trades_per_day=TRADES, datasets=[t.dataset for t in UM_TABLES])
    archive = archive_client(tmp_path, mirror)
    archived = DuckDBWarehouse(tmp_path / "archived.duckdb")  # the independent expectation: the archive, loaded
    client = BinanceRestClient(sim.base_url, api_key=UM_KEY)
    for table in UM_TABLES:
        load_partition(archive, archived, table, DAY, SYMBOL)
        expected = archived.read_partition_arrow(table.name, SYMBOL, DAY)
        fill = gapfill_partition(RestFetcher(client), warehouse, table, DAY, SYMBOL)
        assert fill.published and fill.reason == "missing" and fill.rows_after == expected.num_rows > 0, fill
        assert fill.source_url.startswith(f"rest:{sim.base_url}{table.dataset.rest_path}?symbol={SYMBOL}&")
        assert load_source(warehouse.load_log(table.name, SYMBOL, DAY)) == "rest"
        assert warehouse.read_partition_arrow(table.name, SYMBOL, DAY).equals(expected), table.name
    # every request went to the futures paths the registry declares (none to spot's /api/v3)
    assert set(client.stats.by_path) == {"/fapi/v1/aggTrades", "/fapi/v1/historicalTrades", "/fapi/v1/klines"}

    for table in UM_TABLES:  # the archive is published: it replaces the REST rows, which it equals
        load_partition(archive, warehouse, table, DAY, SYMBOL)
        comparison = compare_rest_copy(warehouse, table, DAY, SYMBOL)
        assert comparison is not None and comparison.matches, comparison
        assert comparison.rest_rows == comparison.archive_rows > 0


def test_usd_m_trades_without_an_api_key_fail_clearly_and_publish_nothing(sim, warehouse):
    table = RAW_TABLES["um_trades"]
    with pytest.raises(BinanceApiError, match="/fapi/v1/historicalTrades needs an API key"):
        gapfill_partition(RestFetcher(BinanceRestClient(sim.base_url)), warehouse, table, DAY, SYMBOL)
    assert warehouse.load_log(table.name, SYMBOL, DAY) is None


def test_archive_that_differs_from_rest_fails_the_comparison(sim, warehouse, tmp_path):
    fetcher = RestFetcher(BinanceRestClient(sim.base_url))
    table = RAW_TABLES["spot_agg_trades"]
    gapfill_partition(fetcher, warehouse, table, DAY, SYMBOL)
    mirror = tmp_path / "mirror"
    simulate_mirror(mirror, [SYMBOL], DAY, 1, trades_per_day=TRADES, signal=1.0)  # other prices, same ids
    load_partition(archive_client(tmp_path, mirror), warehouse, table, DAY, SYMBOL)
    comparison = compare_rest_copy(warehouse, table, DAY, SYMBOL)
    assert not comparison.matches and comparison.differing > 0 and comparison.examples
    assert comparison.only_rest == comparison.only_archive == 0


def test_id_holes_head_and_tail_are_fetched_by_id(sim, warehouse):
    table = RAW_TABLES["spot_trades"]
    full = simulate_day(SYMBOL, DAY, trades_per_day=TRADES).trades
    ids = full.column("trade_id")
    first = ids[0].as_py()
    holey_mask = pc.and_(
        pc.and_(pc.greater_equal(ids, first + 10), pc.less(ids, first + TRADES // 2)),  # head cut
        pc.invert(pc.and_(pc.greater_equal(ids, first + 700), pc.less(ids, first + 1900))),  # a hole
    )
    holey = full.filter(holey_mask)  # and the tail from TRADES // 2 on is gone too
    warehouse.replace_partition(table.name, SYMBOL, DAY, holey, LoadRecord(source_url="file:///truncated.zip"))
    client = BinanceRestClient(sim.base_url)
    fill = gapfill_partition(RestFetcher(client), warehouse, table, DAY, SYMBOL)
    assert fill.reason == "id_gaps" and fill.rows_before == holey.num_rows
    assert fill.rows_fetched == full.num_rows - holey.num_rows and fill.rows_after == full.num_rows
    assert same(warehouse.read_partition_arrow(table.name, SYMBOL, DAY), full)
    # only the missing ids were asked for: far fewer pages than refetching the whole day
    assert fill.requests == client.stats.requests and fill.weight == client.stats.weight
    again = gapfill_partition(RestFetcher(client), warehouse, table, DAY, SYMBOL)
    assert again.reason == "complete" and again.rows_fetched == 0


def test_gapfill_job_sensor_and_check_through_dagster(sim, tmp_path, monkeypatch):
    """The user's path on DuckDB, spot and USD-M futures (BTCUSDT in both): the sensor finds the withheld day, the
    job fills it over REST (raw assets materialized with source rest; the futures ones from `/fapi/v1` with the
    market-data key, an EnvVar), the archive's ingest run then passes `matches_rest_gapfill` on all six tables."""
    import dagster as dg
    from support.ingestion import day_run

    from binance_assets.automation.gapfill import GAPFILL_CHECK, GAPFILL_JOB, GAPFILL_SENSOR, build_gapfill_defs
    from binance_assets.ingestion.definitions import INGEST_JOB, build_ingestion_defs
    from binance_assets.lib.keys import raw_asset_key
    from binance_assets.lib.partitions import SYMBOLS_TAG, daily_partitions
    from binance_assets.lib.rest_resources import MARKET_DATA_KEY_ENV
    from binance_assets.resources import resources_for
    from binance_assets.settings import Environment, Settings

    monkeypatch.setenv(MARKET_DATA_KEY_ENV, UM_KEY)
    both = [t.dataset for t in SPOT_TABLES + UM_TABLES]
    mirror = tmp_path / "mirror"
    simulate_mirror(mirror, [SYMBOL], BEFORE, 1, trades_per_day=TRADES, datasets=both)
    settings = Settings(
        um_symbols=[SYMBOL],
        rest_um_base_url=sim.base_url,
        env=Environment.LOCAL,
        data_dir=tmp_path / "data",
        duckdb_path=tmp_path / "wh.duckdb",
        archive_base_url=str(mirror),
        symbols=[SYMBOL],
        start_date=BEFORE,
        rest_base_url=sim.base_url,
    )
    defs = dg.Definitions.merge(
        build_ingestion_defs(settings),
        build_gapfill_defs(
            settings, daily_partitions(settings), clock=lambda: datetime(2025, 1, 3, 12, tzinfo=UTC)
        ),
        dg.Definitions(resources=resources_for(settings)),
    )
    warehouse = resources_for(settings)["warehouse"].get()
    for table in SPOT_TABLES + UM_TABLES:
        load_partition(archive_client(tmp_path, mirror), warehouse, table, BEFORE, SYMBOL)
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, resources=resources_for(settings)) as ctx:
            requests = list(defs.resolve_sensor_def(GAPFILL_SENSOR)(ctx))
        # BEFORE is complete: only DAY is asked for
        assert [(r.partition_key, r.tags[SYMBOLS_TAG]) for r in requests] == [(DAY.isoformat(), SYMBOL)]
        assert set(requests[0].asset_selection) == {raw_asset_key(t.name) for t in SPOT_TABLES + UM_TABLES}
        filled = defs.resolve_job_def(GAPFILL_JOB).execute_in_process(
            partition_key=requests[0].partition_key,
            run_config=requests[0].run_config,
            asset_selection=requests[0].asset_selection,
            instance=instance,
        )
        materialized = filled.get_asset_materialization_events()
        assert {m.asset_key.path[-1] for m in materialized} == {t.name for t in SPOT_TABLES + UM_TABLES}
        assert all(m.materialization.metadata["source"].value == "rest" for m in materialized)
        with dg.build_sensor_context(instance=instance, resources=resources_for(settings)) as ctx:
            assert isinstance(defs.resolve_sensor_def(GAPFILL_SENSOR)(ctx), dg.SkipReason)  # nothing left

        simulate_mirror(mirror, [SYMBOL], DAY, 1, trades_per_day=TRADES, datasets=both)  # the archives are published
        ingest = defs.resolve_job_def(INGEST_JOB).execute_in_process(
            **day_run(DAY, SYMBOL), instance=instance, raise_on_error=False
        )
    evaluations = [
        e.event_specific_data
        for e in ingest.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.event_specific_data.check_name == GAPFILL_CHECK
    ]
    assert len(evaluations) == len(SPOT_TABLES + UM_TABLES) and all(e.passed for e in evaluations)
    assert all(e.metadata["compared"].value for e in evaluations)


def test_sensor_logic_finds_missing_tables_id_holes_and_missing_minutes(tmp_path):
    from binance_assets.automation.gapfill import partitions_to_fill
    from binance_assets.settings import Settings

    warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb")
    full = simulate_day(SYMBOL, BEFORE, trades_per_day=TRADES)
    record = LoadRecord(source_url="file:///archive.zip")
    head = full.trades.slice(0, 100)
    holey = head.filter(pc.not_equal(head.column("trade_id"), head.column("trade_id")[50]))  # one id missing
    warehouse.replace_partition("spot_trades", SYMBOL, BEFORE, holey, record)
    warehouse.replace_partition("spot_agg_trades", SYMBOL, BEFORE, full.agg_trades, record)
    warehouse.replace_partition("spot_klines_1m", SYMBOL, BEFORE, full.klines.slice(0, 1000), record)
    settings = Settings(symbols=[SYMBOL], start_date=BEFORE)
    due = datetime(2025, 1, 2, 7, tzinfo=UTC)  # BEFORE is due at 06:00 on the next day
    wanted = partitions_to_fill(warehouse, settings, due)
    assert [(p.day, tables) for p, tables, _ in wanted] == [(BEFORE, ["spot_trades", "spot_klines_1m"])]
    assert partitions_to_fill(warehouse, settings, datetime(2025, 1, 2, 5, tzinfo=UTC)) == []  # not due yet


@pytest.mark.parametrize("key", [False, True], ids=["no-key", "market-data-key"])
def test_sensor_logic_fills_usd_m_tables_for_the_usd_m_symbols(tmp_path, monkeypatch, key):
    """Each gap-fillable table for its own market's symbols: spot's for the spot universe, the um_* tables for
    BINANCE_ASSETS_UM_SYMBOLS; um_trades (historicalTrades wants an API key) only with the market-data key set."""
    from binance_assets.automation.gapfill import partitions_to_fill
    from binance_assets.lib.rest_resources import MARKET_DATA_KEY_ENV
    from binance_assets.settings import Settings

    if key:
        monkeypatch.setenv(MARKET_DATA_KEY_ENV, UM_KEY)
    else:
        monkeypatch.delenv(MARKET_DATA_KEY_ENV, raising=False)
    warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb")
    settings = Settings(symbols=["ETHUSDT"], um_symbols=[SYMBOL], start_date=BEFORE)
    wanted = partitions_to_fill(warehouse, settings, datetime(2025, 1, 2, 7, tzinfo=UTC))
    um = ["um_agg_trades", "um_klines_1m"] if not key else ["um_trades", "um_agg_trades", "um_klines_1m"]
    assert [(p.day, p.symbol, tables) for p, tables, _ in wanted] == [
        (BEFORE, SYMBOL, um), (BEFORE, "ETHUSDT", ["spot_trades", "spot_agg_trades", "spot_klines_1m"])
    ]


def test_the_rest_resource_gives_each_market_its_host_budget_and_key(monkeypatch):
    """USD-M futures are another host (fapi.binance.com) with its own weight budget (2400/min, Binance's USD-M
    exchangeInfo rateLimits) and the market-data key by reference; spot's client is unchanged."""
    import dagster as dg

    from binance_assets.lib.rest_resources import MARKET_DATA_KEY_ENV, PUBLIC_REST_KEY, rest_resources
    from binance_assets.settings import Settings

    monkeypatch.setenv(MARKET_DATA_KEY_ENV, UM_KEY)
    resource = rest_resources(Settings())[PUBLIC_REST_KEY]
    assert isinstance(resource.api_key, dg.EnvVar) and resource.api_key.env_var_name == MARKET_DATA_KEY_ENV
    spot, um = resource.client(), resource.client(Market.FUTURES_UM)
    assert (spot.base_url, spot.weight_budget) == ("https://api.binance.com", int(6000 * 0.8))
    assert (um.base_url, um.weight_budget) == ("https://fapi.binance.com", int(2400 * 0.8))
