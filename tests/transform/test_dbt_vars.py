"""The pure pieces between Dagster partitions and dbt: vars, CLI args, profile environment."""

import datetime as dt
import json

from binance_assets.transform.dbt_vars import (
    WINDOW_ENV,
    dbt_build_args,
    pairs_window_vars,
    window_env,
    window_predicate,
)
from binance_assets.warehouse.dbt_profile import dbt_env

D1, D2, D3 = dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)


def test_one_partition_is_a_one_day_one_symbol_window():
    assert pairs_window_vars([(D2, "BTCUSDT")]) == {
        "min_date": "2025-01-02", "max_date": "2025-01-02", "symbols": ["BTCUSDT"]
    }


def test_several_partitions_cover_their_dates_and_symbols():
    window = pairs_window_vars([(D3, "ETHUSDT"), (D1, "BTCUSDT"), (D2, "ETHUSDT")])
    assert window == {"min_date": "2025-01-01", "max_date": "2025-01-03", "symbols": ["BTCUSDT", "ETHUSDT"]}


def test_no_partitions_means_no_vars_and_a_full_run():
    assert pairs_window_vars([]) == {}
    assert dbt_build_args({}) == ["build"]
    assert dbt_build_args({}, full_refresh=True) == ["build", "--full-refresh"]


def test_build_args_carry_the_vars_as_json():
    args = dbt_build_args({"min_date": "2025-01-01", "max_date": "2025-01-01", "symbols": ["BTCUSDT"]})
    assert args[:2] == ["build", "--vars"]
    assert json.loads(args[2])["symbols"] == ["BTCUSDT"]


def test_the_window_env_carries_the_same_window_and_an_empty_one_means_everything():
    window = pairs_window_vars([(D1, "BTCUSDT")])
    assert json.loads(window_env(window)[WINDOW_ENV]) == window
    assert window_env({}) == {WINDOW_ENV: "{}"}  # set even when empty: no window left over from elsewhere


def test_window_predicate_matches_the_vars():
    where, params = window_predicate({"min_date": "2025-01-01", "max_date": "2025-01-02", "symbols": ["A1", "B2"]})
    assert where == "1 = 1 and trade_date >= cast(? as date) and trade_date <= cast(? as date) and symbol in (?, ?)"
    assert params == ["2025-01-01", "2025-01-02", "A1", "B2"]
    assert window_predicate({}) == ("1 = 1", [])


def test_dbt_env_for_duckdb_and_postgres():
    assert dbt_env("local", duckdb_path="/x/w.duckdb") == {
        "BINANCE_ASSETS_DBT_TARGET": "local", "BINANCE_ASSETS_DUCKDB_PATH": "/x/w.duckdb"
    }
    env = dbt_env("prod", postgres_url="postgresql://bob:p%40ss@db.internal:6543/marts")
    assert env["BINANCE_ASSETS_DBT_TARGET"] == "prod"
    assert (env["BINANCE_ASSETS_PG_HOST"], env["BINANCE_ASSETS_PG_PORT"]) == ("db.internal", "6543")
    assert env["BINANCE_ASSETS_PG_USER"] == "bob"
    assert "BINANCE_ASSETS_PG_PASSWORD" not in env  # a secret: dbt reads it from its own variable
    assert env["BINANCE_ASSETS_PG_DATABASE"] == "marts"


def test_a_day_run_covers_every_symbol_unless_it_names_some():
    from binance_assets.transform.dbt_vars import partition_window_vars

    assert partition_window_vars([D2, D1]) == {"min_date": "2025-01-01", "max_date": "2025-01-02"}
    assert partition_window_vars([D1], ["ETHUSDT", "BTCUSDT", "ETHUSDT"]) == {
        "min_date": "2025-01-01", "max_date": "2025-01-01", "symbols": ["BTCUSDT", "ETHUSDT"]}
    assert partition_window_vars([D1], []) == {"min_date": "2025-01-01", "max_date": "2025-01-01", "symbols": []}
