"""Fixtures of the dashboard's browser tests: a warehouse of 2 symbols x 2 days from the simulator, loaded
and built the pipeline's way (raw loads, dbt, features, a real classifier trained and registered twice,
its predictions), with defects put in on purpose, the check outcomes and materializations recorded in a
real Dagster instance's storage, the API served by uvicorn, and Debian's chromium driven by Playwright.

Defects: BROKEN (raw.spot_agg_trades, BTCUSDT, day 2) gets duplicate agg trade ids and its `unique_ids`
check fails; MISSING (raw.spot_trades, ETHUSDT, day 2) is never loaded; REPLACED (raw.spot_klines_1m,
BTCUSDT, day 1) is materialized twice with different archive checksums; DRIFTED (ml.predictions, BTCUSDT,
day 2) has its non-blocking `feature_drift` check fail past the error threshold (ERROR severity), as a run
records it. The champion was trained on day 1 only: day 1's predictions are in sample, day 2's are not.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pytest

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
DAY1 = dt.date(2025, 1, 1)
DAY2 = DAY1 + dt.timedelta(days=1)
BROKEN = ("spot_agg_trades", "BTCUSDT", DAY2)
MISSING = ("spot_trades", "ETHUSDT", DAY2)
REPLACED = ("spot_klines_1m", "BTCUSDT", DAY1)
DRIFTED = ("BTCUSDT", DAY2)
DUPLICATES = 3
HORIZON = 5
MODEL = "price_direction_classifier"
DAGSTER_UI = "http://dagster.example:3000"
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts" / "dashboard"
CHROMIUM = os.environ.get("BINANCE_ASSETS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _key(day: dt.date, symbol: str) -> str:
    return f"{day.isoformat()}|{symbol}"


def _build_features_models_predictions(wh, registry_dir: Path) -> None:
    from binance_assets.features.compute import FEATURE_COLUMNS, compute_minute_features
    from binance_assets.ml.card_build import build_card
    from binance_assets.ml.promotion import register_with_gate
    from binance_assets.ml.scoring import score
    from binance_assets.ml.training import train_direction_classifier
    from binance_assets.model_registry.stores import LocalModelRegistry

    bars_sql = "select * from marts.fct_bars_1m where symbol = ? and trade_date = ? order by open_time"
    for symbol in SYMBOLS:
        for day in (DAY1, DAY2):
            bars = wh.query(bars_sql, [symbol, day])
            history = wh.query(bars_sql, [symbol, day - dt.timedelta(days=1)])
            frame = compute_minute_features(bars, horizon=HORIZON, history=history if len(history) else None)
            wh.replace_table_partition("features.minute_features", symbol, day,
                                       pa.Table.from_pandas(frame, preserve_index=False))
    frame = wh.read_table("features.minute_features", symbols=SYMBOLS, start=DAY1, end=DAY1)
    registry = LocalModelRegistry(registry_dir)
    # v1 goes through the gate (a random walk rarely beats its baseline) and is then promoted by hand, as an
    # operator would; v2 (other hyperparameters) must beat it by an impossible margin: it stays a challenger.
    for params, margin in (({}, 0.0), ({"C": 0.05}, 10.0)):
        trained = train_direction_classifier(frame, FEATURE_COLUMNS, params=params or None, n_splits=3, gap=HORIZON)
        register_with_gate(registry, MODEL, trained.pipeline, build_card(MODEL, trained, frame), margin=margin)
        if registry.champion(MODEL) is None:
            registry.promote(MODEL, "v0001", "first champion, promoted by the operator")
    model, card = registry.load(MODEL)
    for symbol in SYMBOLS:
        for day in (DAY1, DAY2):
            features = wh.read_table("features.minute_features", symbols=[symbol], start=day, end=day)
            scored = score(model, card, features)
            scored.insert(1, "trade_date", day)
            scored["in_sample"] = day <= DAY1  # the champion's training window is day 1
            wh.replace_table_partition(
                "ml.predictions", symbol, day, pa.Table.from_pandas(scored, preserve_index=False)
            )


def _break_partition(wh) -> int:
    """Duplicate a few rows of BROKEN: what a bad re-load would leave. Returns the duplicate ids found."""
    from binance_assets.binance.duplicates import duplicate_values

    table, symbol, day = BROKEN
    with wh.connect() as con:
        con.execute(f"INSERT INTO raw.{table} SELECT * FROM raw.{table} WHERE symbol = ? AND trade_date = ? "
                    f"ORDER BY agg_trade_id LIMIT {DUPLICATES}", [symbol, day])
    ids = wh.query(f"select agg_trade_id from raw.{table} where symbol = ? and trade_date = ?", [symbol, day])
    return len(duplicate_values(ids["agg_trade_id"]))


def _record_in_dagster(home: Path, wh, duplicates: int) -> None:
    """What Dagster's runs record: raw materializations (archive sha256), `unique_ids` outcomes, drift checks."""
    import dagster as dg

    from binance_assets.features.compute import FEATURE_COLUMNS
    from binance_assets.ml.drift import drift_report

    shutil.copy(Path(__file__).resolve().parents[2] / "deploy" / "dagster" / "local.yaml", home / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        log = wh.query("select table_name, symbol, trade_date, sha256 from raw.load_log")
        for r in log.itertuples():
            asset, key = dg.AssetKey(["raw", r.table_name]), _key(r.trade_date, r.symbol)
            if (r.table_name, r.symbol, r.trade_date) == REPLACED:  # Binance republished it: a second checksum
                for sha in ("0" * 64, r.sha256):
                    instance.report_runless_asset_event(
                        dg.AssetMaterialization(asset, partition=key, metadata={"sha256": sha})
                    )
            broken = (r.table_name, r.symbol, r.trade_date) == BROKEN
            instance.report_runless_asset_event(dg.AssetCheckEvaluation(
                asset_key=asset, check_name="unique_ids", passed=not broken, partition=key,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"duplicate_ids": duplicates if broken else 0},
            ))
        reference = wh.read_table("features.minute_features", symbols=SYMBOLS, start=DAY1, end=DAY1)
        for symbol in SYMBOLS:
            for day in (DAY1, DAY2):
                current = wh.read_table("features.minute_features", symbols=[symbol], start=day, end=day)
                report = drift_report(reference, current, FEATURE_COLUMNS, ks_pvalue_error=0.0)
                per_feature = {f.feature: {"psi": round(f.psi, 4), "severity": f.severity} for f in report.features}
                drifted = (symbol, day) == DRIFTED
                instance.report_runless_asset_event(dg.AssetCheckEvaluation(
                    asset_key=dg.AssetKey(["ml", "predictions"]), check_name="feature_drift",
                    passed=report.severity == "ok" and not drifted, partition=_key(day, symbol),
                    severity=dg.AssetCheckSeverity.ERROR if drifted else dg.AssetCheckSeverity.WARN, blocking=False,
                    metadata={"per_feature": dg.MetadataValue.json(per_feature)},
                ))
    finally:
        instance.dispose()


@pytest.fixture(scope="session")
def dash_env(tmp_path_factory):
    from support.api_warehouse import run_dbt

    from binance_assets.binance.archive_client import ArchiveClient
    from binance_assets.binance.simulator import simulate_mirror
    from binance_assets.ingestion.load import load_partition
    from binance_assets.warehouse import RAW_TABLES, DuckDBWarehouse

    work = tmp_path_factory.mktemp("dash")
    simulate_mirror(work / "mirror", SYMBOLS, DAY1, 2, seed=7, trades_per_day=12000)
    wh = DuckDBWarehouse(work / "warehouse.duckdb")
    client = ArchiveClient(str(work / "mirror"), work / "downloads", work / "quarantine")
    for day in (DAY1, DAY2):
        for symbol in SYMBOLS:
            for table in RAW_TABLES.values():
                if (table.name, symbol, day) != MISSING and table.name.startswith("spot_"):  # a spot mirror
                    load_partition(client, wh, table, day, symbol)
    run_dbt(wh)
    _build_features_models_predictions(wh, work / "models")
    duplicates = _break_partition(wh)
    assert duplicates == DUPLICATES
    home = work / "dagster_home"
    home.mkdir()
    _record_in_dagster(home, wh, duplicates)
    return {"warehouse": wh, "work": work, "dagster_home": home, "registry": work / "models"}


@pytest.fixture(scope="session")
def dash_config(dash_env):
    from binance_api.settings import ApiConfig, ApiSettings
    from binance_assets.settings import Environment, Settings

    core = Settings(env=Environment.LOCAL, duckdb_path=dash_env["warehouse"].path, data_dir=dash_env["work"] / "data",
                    symbols=SYMBOLS, model_registry_url=str(dash_env["registry"]))
    api = ApiSettings(jwt_secret="dash-secret-" + secrets.token_hex(16), redis_url=None,
                      dagster_storage=str(dash_env["dagster_home"] / "history" / "runs" / "index.db"))
    return ApiConfig(api=api, core=core)


@pytest.fixture(scope="module")
def dash_url(dash_env, dash_config):
    from support.live_server import LiveServer

    from binance_api.dashboard.settings import DashboardSettings
    from binance_api.main import create_app

    app = create_app(dash_config)
    app.state.services.dashboard = DashboardSettings(dagster_ui_url=DAGSTER_UI)
    with LiveServer(app) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium under Playwright (never a downloaded browser). Fails in CI if it cannot start.

    Module-scoped on purpose: while Playwright's sync API is open, its event loop counts as running in
    this thread, so any later test on the same xdist worker that calls `asyncio.run` (Dagster's
    `evaluate_automation_conditions` does) would fail with "cannot be called from a running event loop".
    """
    from playwright.sync_api import Error, sync_playwright

    if not Path(CHROMIUM).exists() and os.environ.get("CI", "").lower() != "true":
        pytest.skip(f"no chromium at {CHROMIUM} (install Debian's chromium; CI=true fails here instead)")
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.fail(f"chromium at {CHROMIUM} did not start: {exc}", pytrace=False)
        yield b
        b.close()


@pytest.fixture(scope="module")
def token(dash_config):
    from binance_api.core.security import mint_token

    def make(scopes=("market_data", "predictions", "admin")):
        return mint_token(dash_config, f"tester-{secrets.token_hex(3)}", scopes, dt.timedelta(hours=1))

    return make


@contextmanager
def _page_at(browser, url: str):
    """A browser page on `url`'s server that fails the test on a script error, a failed or off-site request."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=url)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
    p.on("request", lambda req: req.url.startswith(url) or req.url.startswith("data:")
         or errors.append(f"off-site request: {req.url}"))
    yield p
    context.close()
    assert not errors, errors


@pytest.fixture
def page(browser, dash_url):
    with _page_at(browser, dash_url) as p:
        yield p


# --- the same warehouse with a universe of 200 symbols (raw.symbol_universe) -----------------------------------
UNIVERSE_SIZE = 200


@pytest.fixture(scope="session")
def universe_rows():
    """BTCUSDT and ETHUSDT (the symbols with data, the largest volumes) and 198 made-up symbols: listed over the
    years, about one in twelve delisted, none with data (tests/support/universe.py `synthetic_rows`)."""
    from support.universe import Row, synthetic_rows

    real = [Row(s, s[:-4], "USDT", "TRADING", dt.date(2017, 8, 17), None, 9e12 - i) for i, s in enumerate(SYMBOLS)]
    return synthetic_rows(UNIVERSE_SIZE, keep=real, last_listed=DAY2, seed=21)


@pytest.fixture(scope="session")
def universe_dash_url(dash_env, dash_config, universe_rows, tmp_path_factory):
    from support.live_server import LiveServer
    from support.universe import write_universe

    from binance_api.main import create_app
    from binance_api.settings import ApiConfig
    from binance_assets.warehouse import DuckDBWarehouse

    path = tmp_path_factory.mktemp("dash_universe") / "warehouse.duckdb"
    shutil.copy(dash_env["warehouse"].path, path)
    write_universe(DuckDBWarehouse(path), universe_rows)
    core = dash_config.core.model_copy(update={"duckdb_path": path})
    app = create_app(ApiConfig(api=dash_config.api, core=core))
    with LiveServer(app) as server:
        yield server.url


@pytest.fixture
def universe_page(browser, universe_dash_url):
    with _page_at(browser, universe_dash_url) as p:
        yield p


@pytest.fixture(scope="session")
def shot():
    """Save a full-page screenshot under .artifacts/dashboard/ (git-ignored): the tests' artifacts."""

    def save(page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture(scope="session")
def spec():
    """The fixture's facts the tests check against."""
    return SimpleNamespace(
        SYMBOLS=SYMBOLS, DAY1=DAY1, DAY2=DAY2, BROKEN=BROKEN, MISSING=MISSING, REPLACED=REPLACED, DRIFTED=DRIFTED,
        DUPLICATES=DUPLICATES, MODEL=MODEL, DAGSTER_UI=DAGSTER_UI, ARTIFACTS=ARTIFACTS, counts=expected_counts,
    )


def expected_counts(wh, symbol: str, day: dt.date) -> tuple[int, int]:
    """(1m bars, classifier predictions) of one partition, read from the warehouse."""
    bars = wh.query("select count(*) as n from marts.fct_bars_1m where symbol = ? and trade_date = ?", [symbol, day])
    preds = wh.query("select count(*) as n from ml.predictions where symbol = ? and trade_date = ? and model_name = ?",
                     [symbol, day, MODEL])
    return int(bars["n"].iloc[0]), int(preds["n"].iloc[0])

