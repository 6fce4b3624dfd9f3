"""Every dataset of the registry (`binance_assets.binance.datasets`) is known to every consumer: a dataset
missing from one of them is a failed test here, not a failed run.

`missing_consumers(ds)` asks each consumer about one dataset the way a run would (the simulator renders its
archive, the reader parses it back to exactly the simulator's table, urls builds its path, the landing
sensor's parser reads that path back, ...) and lists the ones that do not know it. The last tests register
throwaway datasets in the registry and show the checker names what they lack.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import zipfile
from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import yaml

import binance_api.routers
from binance_api.services.served_datasets import NOT_SERVED, SERVED
from binance_assets.automation.gapfill import gapfillable_tables
from binance_assets.automation.landing import find_landed, is_wanted, parse_archive_path
from binance_assets.automation.mirrors import LocalMirror
from binance_assets.automation.poller import day_specs
from binance_assets.binance import datasets as registry
from binance_assets.binance import fapi_shapes
from binance_assets.binance.datasets import DATASETS, Dataset
from binance_assets.binance.formats import KLINES
from binance_assets.binance.reader import read_archive
from binance_assets.binance.rest_shapes import REQUEST_WEIGHTS
from binance_assets.binance.schema import ArchiveKind, Market
from binance_assets.binance.sim_day import generate_day
from binance_assets.binance.sim_render import dataset_csv, dataset_table, write_archive, zip_bytes
from binance_assets.binance.urls import ArchiveSpec
from binance_assets.ingestion.assets import build_raw_assets
from binance_assets.ingestion.rules import PANDERA_SCHEMA, UNIQUE_IDS
from binance_assets.ingestion.schemas import DESCRIPTIONS, MODELS, validate_partition
from binance_assets.lib.keys import raw_asset_key
from binance_assets.lib.partitions import universe_on
from binance_assets.lib.scope import BARS_INPUTS
from binance_assets.settings import Settings
from binance_assets.warehouse.tables import RAW_TABLES, raw_table_for_archive

DAY = date(2025, 1, 2)
SYMBOL = "BTCUSDT"
PARTITIONS = dg.DailyPartitionsDefinition(start_date="2025-01-01")


def _api_paths() -> set[str]:
    paths: set[str] = set()
    for info in pkgutil.iter_modules(binance_api.routers.__path__):
        router = getattr(importlib.import_module(f"binance_api.routers.{info.name}"), "router", None)
        paths |= {route.path for route in getattr(router, "routes", [])}
    return paths


STAGING = Path(__file__).resolve().parents[1] / "dbt_project" / "models" / "staging"


def _dbt_sources() -> dict[str, list[str]]:
    """raw table -> the Dagster asset key dbt's `raw` source gives it."""
    sources = yaml.safe_load((STAGING / "_binance__sources.yml").read_text())["sources"]
    [raw] = [s for s in sources if s["name"] == "raw"]
    return {t["name"]: t.get("meta", {}).get("dagster", {}).get("asset_key") for t in raw["tables"]}


def _dbt_staged() -> set[str]:
    """The raw tables a staging model selects from: `{{ source('raw', '<table>') }}`, or through a staging macro of
    `macros/staging.sql`, `{{ stg_trades('<table>') }}`."""
    pattern = r"(?:source\(\s*'raw'\s*,\s*|\{\{\s*stg_\w+\(\s*)'(\w+)'\s*\)"
    found = (re.findall(pattern, p.read_text()) for p in STAGING.glob("stg_*.sql"))
    return {name for names in found for name in names}


API_PATHS = _api_paths()
DBT_SOURCES = _dbt_sources()
DBT_STAGED = _dbt_staged()
SETTINGS = Settings(symbols=[SYMBOL], um_symbols=[SYMBOL], start_date=date(2025, 1, 1))
RAW_ASSETS = {spec.key: asset for asset in build_raw_assets(PARTITIONS, SETTINGS) for spec in asset.specs}


def _reader_and_simulator(ds: Dataset, tmp: Path) -> list[str]:
    """The simulator renders the dataset's archive (headerless and with a header row); the reader parses both
    back to exactly the table the simulator meant, in the dataset's Arrow schema."""
    raw = generate_day(SYMBOL, DAY, seed=3, trades_per_day=300)
    spec = ArchiveSpec.daily(ds, SYMBOL, DAY)
    for header in (False, True):
        try:  # any failure means the consumer does not know the dataset
            expected = dataset_table(raw, ds)
            path = tmp / ("h" if header else "n") / spec.file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(zip_bytes(spec.csv_name, dataset_csv(raw, ds, header=header), DAY))
        except Exception:
            return ["simulator"]
        try:
            contents = read_archive(path, market=ds.market)
        except Exception:
            return ["reader"]
        if contents.kind is not ds.kind or not contents.table.equals(expected) or expected.schema != ds.schema:
            return ["reader"]
    return []


def _paths(ds: Dataset) -> list[str]:
    try:
        spec = ArchiveSpec.daily(ds, SYMBOL, DAY)
    except Exception:
        return ["urls"]
    prefix = f"data/{ds.market.value}/daily/{ds.folder}/{SYMBOL}/"
    if not spec.relative_path.startswith(prefix) or f"-{ds.stem_word}-" not in spec.file_name:
        return ["urls"]
    return [] if parse_archive_path(spec.relative_path) == spec else ["landing path parser"]


def _landing_finds(ds: Dataset, spec: ArchiveSpec, root: Path) -> bool:
    """The landing sensor's scan reports the dataset's archive in a mirror, for the dataset's raw table."""
    try:
        if not is_wanted(spec):
            return False
        if not ds.simulated:
            return True  # nothing to put in a mirror; the simulator's own check reports it
        raw = generate_day(SYMBOL, DAY, seed=3, trades_per_day=300)
        write_archive(root / spec.relative_path, spec.csv_name, dataset_csv(raw, ds), DAY)
        found, _ = find_landed(LocalMirror(root), None, settle_ns=0)
        return [(f.relative_path, f.raw_table.name) for f in found] == [(spec.relative_path, ds.id)]
    except Exception:  # any failure means the consumer does not know the dataset
        return False


def _loaded(ds: Dataset, tmp: Path) -> list[str]:
    """What a dataset the warehouse loads needs beyond the Binance library."""
    missing = []
    spec = ArchiveSpec.daily(ds, SYMBOL, DAY)
    if not _landing_finds(ds, spec, tmp / "mirror"):
        missing.append("landing sensor")
    if spec not in day_specs(SYMBOL, DAY, ds.market):
        missing.append("poller")
    table = RAW_TABLES.get(ds.id)
    if table is None or raw_table_for_archive(ds.market, ds.kind, ds.interval) is not table:
        missing.append("raw table")
    elif table.data_schema.names != ds.schema.names or table.data_schema.types != ds.schema.types:
        missing.append("raw table (columns)")
    asset = RAW_ASSETS.get(raw_asset_key(ds.id))
    if asset is None or ds.id not in DESCRIPTIONS:
        missing.append("raw asset")
    else:
        checks = {key.name for key in asset.check_keys}
        if not {PANDERA_SCHEMA, UNIQUE_IDS} <= checks:
            missing.append("checks")
    if ds.id not in MODELS:
        missing.append("pandera model")
    elif ds.simulated:
        frame = dataset_table(generate_day(SYMBOL, DAY, seed=3, trades_per_day=300), ds).to_pandas()
        frame.insert(0, "trade_date", pd.Timestamp(DAY))
        frame.insert(0, "symbol", SYMBOL)
        if not validate_partition(ds.id, frame, market=ds.market).passed:
            missing.append("pandera model (rejects the simulated day)")
    if not ds.simulated:
        missing.append("simulator")
    if ds.rest_path is not None and (
        ds.rest_path not in REQUEST_WEIGHTS or ds.id not in [t.name for t in gapfillable_tables()]
    ):
        missing.append("gap-fill")
    if ds.market is not Market.SPOT:  # spot's symbols are the universe's (raw.symbol_universe)
        try:
            universe_on(SETTINGS, None, DAY, ds.market)
        except ValueError:
            missing.append("symbol list of its market")
    if (ds.kind is ArchiveKind.TRADES or ds.interval == "1m") and ds.id not in BARS_INPUTS:  # a market's 1m bars
        missing.append("bars inputs (lib.scope)")
    if DBT_SOURCES.get(ds.id) != ["raw", ds.id]:
        missing.append("dbt source")
    if ds.id not in DBT_STAGED:
        missing.append("dbt staging model")
    if ds.id in SERVED:
        if SERVED[ds.id] not in API_PATHS:
            missing.append("API route")
    elif ds.id not in NOT_SERVED:
        missing.append("API (neither served nor declared not served)")
    return missing


def missing_consumers(ds: Dataset, tmp: Path) -> list[str]:
    """The consumers that do not know `ds` (empty: all of them do)."""
    missing = _paths(ds)
    if ds.simulated:
        missing += _reader_and_simulator(ds, tmp)
    if ds.raw:
        missing += _loaded(ds, tmp)
    return missing


@pytest.mark.parametrize("dataset_id", list(DATASETS))
def test_every_consumer_knows_every_dataset(dataset_id: str, tmp_path: Path) -> None:
    assert missing_consumers(DATASETS[dataset_id], tmp_path) == []


def test_the_registry_covers_what_is_loaded_and_nothing_else_lists_datasets() -> None:
    loaded = {ds.id for ds in DATASETS.values() if ds.raw}
    assert loaded == {"spot_trades", "spot_agg_trades", "spot_klines_1m", "um_trades", "um_agg_trades", "um_klines_1m"}
    assert set(RAW_TABLES) == loaded == set(MODELS) == set(DESCRIPTIONS)
    assert {key.path[-1] for key in RAW_ASSETS} == loaded
    assert set(DBT_SOURCES) == loaded == DBT_STAGED
    assert set(SERVED) | NOT_SERVED >= loaded and not set(SERVED) & NOT_SERVED
    # Binance's published request weights (https://developers.binance.com/docs/binance-spot-api-docs/rest-api, and
    # derivatives/usds-margined-futures/market-data: klines 5 at the 720 rows a page the gap-fill asks for)
    assert {ds.id: (ds.rest_path, ds.rest_weight) for ds in DATASETS.values() if ds.raw} == {
        "spot_trades": ("/api/v3/historicalTrades", 25), "spot_agg_trades": ("/api/v3/aggTrades", 4),
        "spot_klines_1m": ("/api/v3/klines", 2),
        "um_trades": ("/fapi/v1/historicalTrades", 20), "um_agg_trades": ("/fapi/v1/aggTrades", 20),
        "um_klines_1m": ("/fapi/v1/klines", 5),
    }  # fmt: skip
    assert fapi_shapes.klines_weight(720) == REQUEST_WEIGHTS["/fapi/v1/klines"]
    assert {p: REQUEST_WEIGHTS[p] for p in ("/fapi/v1/exchangeInfo", "/fapi/v1/trades")} == {
        "/fapi/v1/exchangeInfo": 1, "/fapi/v1/trades": 5
    }  # fmt: skip


def test_archive_paths_are_the_ones_binance_publishes() -> None:
    """The data.binance.vision layout, written out by hand (not built by `urls`)."""
    paths = {ds.id: ArchiveSpec.daily(ds, SYMBOL, DAY).relative_path for ds in DATASETS.values()}
    assert paths["spot_trades"] == "data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-02.zip"
    assert paths["spot_agg_trades"] == "data/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-01-02.zip"
    assert paths["spot_klines_1m"] == "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-02.zip"
    assert paths["um_trades"] == "data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-02.zip"
    assert paths["um_agg_trades"] == "data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-01-02.zip"
    assert paths["um_klines_1m"] == "data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-02.zip"
    assert paths["cm_klines_1m"] == "data/futures/cm/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-02.zip"


def test_a_dataset_declares_consistent_facts() -> None:
    with pytest.raises(ValueError, match="interval"):
        Dataset("x", Market.SPOT, ArchiveKind.KLINES, (KLINES,))
    with pytest.raises(ValueError, match="layouts of kind trades"):
        Dataset("x", Market.SPOT, ArchiveKind.TRADES, (KLINES,))
    with pytest.raises(ValueError, match="request weight"):
        Dataset("x", Market.SPOT, ArchiveKind.KLINES, (KLINES,), interval="1h", rest_path="/api/v3/nothing")
    with pytest.raises(ValueError, match=r"not a futures/um path \(/fapi/v1/\)"):
        Dataset("x", Market.FUTURES_UM, ArchiveKind.KLINES, (KLINES,), interval="1m", rest_path="/api/v3/klines")


def _register(monkeypatch, ds: Dataset) -> None:
    monkeypatch.setitem(registry.DATASETS, ds.id, ds)


def test_a_new_loaded_dataset_without_its_consumers_is_reported(monkeypatch, tmp_path: Path) -> None:
    """A throwaway entry (spot 1h klines, loaded) that no consumer above the Binance library was told about."""
    new = Dataset("spot_klines_1h", Market.SPOT, ArchiveKind.KLINES, (KLINES,), interval="1h", simulated=True, raw=True)
    _register(monkeypatch, new)
    missing = missing_consumers(new, tmp_path)
    assert missing == [
        "landing sensor",
        "raw table",
        "raw asset",
        "pandera model",
        "dbt source",
        "dbt staging model",
        "API (neither served nor declared not served)",
    ]
    # The Binance library reads the registry, so the poller already lists it and the simulator/reader and
    # the path parser handle it; declaring it not served and not gap-fillable (no rest_path) is accepted.
    monkeypatch.setattr("binance_api.services.served_datasets.NOT_SERVED", frozenset({new.id}))
    monkeypatch.setattr(f"{__name__}.NOT_SERVED", frozenset({new.id}))
    assert "API (neither served nor declared not served)" not in missing_consumers(new, tmp_path)


def test_a_new_dataset_the_simulator_cannot_render_is_reported(monkeypatch, tmp_path: Path) -> None:
    new = Dataset("um_trades_loaded", Market.FUTURES_UM, ArchiveKind.TRADES, registry.DATASETS["um_trades"].layouts,
                  rest_path="/fapi/v1/historicalTrades", raw=True)  # fmt: skip
    _register(monkeypatch, new)
    missing = missing_consumers(new, tmp_path)
    assert {"raw table", "raw asset", "pandera model", "simulator", "gap-fill", "dbt source"} <= set(missing)


def test_the_reader_check_fails_on_a_layout_the_reader_does_not_have(monkeypatch, tmp_path: Path) -> None:
    """The reader check is real: a dataset whose archives would come in a layout the registry does not give the
    reader (spot trades declared with the futures 6-column layout, but read as spot) is reported."""
    odd = Dataset("spot_trades_odd", Market.SPOT, ArchiveKind.TRADES, registry.DATASETS["um_trades"].layouts,
                  simulated=True)  # fmt: skip
    assert _reader_and_simulator(odd, tmp_path) == ["reader"]
    with zipfile.ZipFile(next(tmp_path.rglob("*.zip"))) as zf:
        assert zf.read(zf.namelist()[0]).split(b"\n")[0].count(b",") == 5  # the simulator did render it


def test_futures_archives_are_simulated_in_milliseconds(tmp_path: Path) -> None:
    """Binance's futures archives kept millisecond times when spot's moved to microseconds (2025-01-01)."""
    raw = generate_day(SYMBOL, DAY, seed=3, trades_per_day=300)
    units = {}
    for dataset_id in ("spot_trades", "um_trades", "um_klines_1m"):
        ds = DATASETS[dataset_id]
        spec = ArchiveSpec.daily(ds, SYMBOL, DAY)
        path = tmp_path / dataset_id / spec.file_name
        path.parent.mkdir()
        path.write_bytes(zip_bytes(spec.csv_name, dataset_csv(raw, ds), DAY))
        units[dataset_id] = read_archive(path).timestamp_unit
    assert units == {"spot_trades": "us", "um_trades": "ms", "um_klines_1m": "ms"}
