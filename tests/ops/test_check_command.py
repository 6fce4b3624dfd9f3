"""`binance-assets check` on the API tests' warehouse (2 symbols x 2 simulated days, loaded and built the
pipeline's way; a copy per test): clean, every kind of check runs (rules, dbt tests, Dagster checks) and
it exits 0 without alerting; with a corrupted raw partition it exits 1, names the failure, and the alert
reaches a loopback webhook (rules only there: dbt's 71 tests cost ~15 s of CPU a run)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from support.api_warehouse import shared_api_warehouse
from support.webhook import Webhook
from typer.testing import CliRunner

from binance_assets.automation import deadlines
from binance_assets.cli import app
from binance_assets.lib.webhook import DEFAULT_WEBHOOK_ENV_VAR
from binance_assets.settings import get_settings
from binance_assets.warehouse import DuckDBWarehouse

pytestmark = pytest.mark.xdist_group("api")  # the same warehouse build as the API tests

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
START = dt.date(2025, 1, 1)
DAYS = 2
LAST = START + dt.timedelta(days=DAYS - 1)


@pytest.fixture
def warehouse_path(tmp_path_factory, tmp_path, monkeypatch):
    source = shared_api_warehouse(tmp_path_factory, SYMBOLS, START, DAYS)
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(source.path, path)
    for name, value in {
        "BINANCE_ASSETS_ENV": "local",
        "BINANCE_ASSETS_DUCKDB_PATH": str(path),
        "BINANCE_ASSETS_DATA_DIR": str(tmp_path / "data"),
        "BINANCE_ASSETS_SYMBOLS": ",".join(SYMBOLS),
        "BINANCE_ASSETS_START_DATE": START.isoformat(),
    }.items():
        monkeypatch.setenv(name, value)
    # Noon after the last simulated day's deadline: `day_file_on_time` judges the days the fixture loaded.
    monkeypatch.setattr(deadlines, "utc_now", lambda: dt.datetime(2025, 1, 3, 12, tzinfo=dt.UTC))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture
def webhook(monkeypatch):
    hook = Webhook()
    monkeypatch.setenv(DEFAULT_WEBHOOK_ENV_VAR, hook.url)
    yield hook
    hook.close()


def _lines(output: str, prefix: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(prefix)]


def import_definitions_elsewhere(tmp_path) -> None:
    """The code locations' modules imported under other settings (another warehouse), as an earlier test or
    caller may have left them in this process: `check` must not run their `defs` against that warehouse."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BINANCE_ASSETS_DUCKDB_PATH", str(tmp_path / "elsewhere" / "warehouse.duckdb"))
        patch.setenv("BINANCE_ASSETS_DATA_DIR", str(tmp_path / "elsewhere"))
        get_settings.cache_clear()
        try:
            import binance_assets.definitions
            import binance_assets.ml.definitions  # noqa: F401
        finally:
            get_settings.cache_clear()


def test_check_passes_on_a_clean_warehouse(warehouse_path, webhook, tmp_path):
    import_definitions_elsewhere(tmp_path)
    # The fixture has no model registry, so the drift check (which needs a champion) is left out by name.
    result = CliRunner().invoke(app, ["check", "--skip", "feature_drift"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"latest partitions (local): {LAST}|BTCUSDT, {LAST}|ETHUSDT" in out
    # Every kind of check ran on the latest partitions, and passed:
    assert len(_lines(out, "PASS rule    raw/spot_agg_trades / unique_ids")) == 2
    assert len(_lines(out, "PASS rule    raw/spot_trades / id_continuity")) == 2
    assert len(_lines(out, "PASS rule    features/minute_features / pandera_schema")) == 2
    assert any("/ assert_bars_match_archive_klines" in line for line in _lines(out, "PASS dbt"))
    # matches_rest_gapfill and the deadline of each of the 3 spot and the 3 USD-M tables (no USD-M symbol
    # configured here: none is due, nothing to compare)
    assert len(_lines(out, "PASS dagster")) == 6 + 6
    # The deadline check read this warehouse's raw.load_log (not the one the modules were imported with):
    # every partition due by the fixture's clock (2025-01-03 12:00) is there.
    for table in ("spot_trades", "spot_agg_trades", "spot_klines_1m"):
        assert len(_lines(out, f"PASS dagster raw/{table} / day_file_on_time: Every partition")) == 1, out
    assert not _lines(out, "FAIL") and "feature_drift" not in out
    assert webhook.bodies == []


def test_check_fails_and_alerts_on_a_corrupted_partition(warehouse_path, webhook):
    wh = DuckDBWarehouse(warehouse_path)
    with wh.connect() as con:  # a bad re-load: 3 agg trades twice
        con.execute("INSERT INTO raw.spot_agg_trades SELECT * FROM raw.spot_agg_trades WHERE symbol = 'BTCUSDT' "
                    "AND trade_date = ? ORDER BY agg_trade_id LIMIT 3", [LAST])
    result = CliRunner().invoke(app, ["check", "--no-dbt", "--no-dagster"])
    assert result.exit_code == 1, result.output
    out = result.output
    failed = _lines(out, "FAIL")
    assert any(f"raw/spot_agg_trades / unique_ids [{LAST}|BTCUSDT]" in line and "3 duplicated" in line
               for line in failed), failed
    assert len(failed) == 1
    assert "alert sent" in out
    assert len(webhook.bodies) == 1
    text = webhook.texts[0]
    assert f"Data quality check (local): {len(failed)} of" in text
    assert f"`raw/spot_agg_trades` / `unique_ids` [{LAST}|BTCUSDT]" in text
    assert "3 duplicated agg_trade_id values" in text


def test_check_alerts_when_the_warehouse_is_unreachable(monkeypatch, webhook, tmp_path):
    from support.network import free_port

    monkeypatch.setenv("BINANCE_ASSETS_ENV", "ci")
    monkeypatch.setenv("BINANCE_ASSETS_POSTGRES_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere")
    monkeypatch.setenv("BINANCE_ASSETS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["check"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "FAIL rule    raw/load_log / could_not_run: OperationalError" in result.output
    assert len(webhook.bodies) == 1 and "could_not_run" in webhook.texts[0]
