"""Secrets only by reference: a real run in `ci` (PostgreSQL) resolves the database password from its
environment variable where the warehouse is used, and records it nowhere: not in the run (tags, config),
not in its event log, not in the variables handed to dbt. (What the UI shows of the locations is tested
in tests/test_code_locations.py.)"""

from __future__ import annotations

import datetime as dt
import uuid

import dagster as dg
from dagster_shared.serdes import serialize_value
from support.ingestion import day_run

from binance_assets.binance.simulator import simulate_mirror
from binance_assets.ingestion.definitions import INGEST_JOB
from binance_assets.lib.keys import raw_asset_key
from binance_assets.resources import resources_for
from binance_assets.settings import PG_PASSWORD_ENV, Environment, Settings, with_password
from binance_assets.warehouse import PostgresWarehouse

START = dt.date(2025, 1, 1)


def test_a_run_resolves_the_password_at_run_time_and_records_it_nowhere(fresh_postgres_url, tmp_path, monkeypatch):
    secret = f"pg-secret-{uuid.uuid4().hex}"
    monkeypatch.setenv(PG_PASSWORD_ENV, secret)
    simulate_mirror(tmp_path / "data" / "mirror", ["BTCUSDT"], START, 1, seed=7, trades_per_day=100)
    settings = Settings(
        env=Environment.CI,
        data_dir=tmp_path / "data",
        postgres_url=fresh_postgres_url,
        symbols=["BTCUSDT"],
        start_date=START,
    )
    from binance_assets.definitions import build_defs

    defs = build_defs(settings)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(INGEST_JOB).execute_in_process(
            **day_run(START, "BTCUSDT"),
            instance=instance,
            asset_selection=[raw_asset_key("spot_trades")],
        )
        assert result.success
        run = instance.get_run_by_id(result.run_id)
        events = [serialize_value(entry) for entry in instance.all_logs(result.run_id)]
    assert any("raw/spot_trades" in text or "raw__spot_trades" in text for text in events)
    recorded = serialize_value(run) + "".join(events)
    assert secret not in recorded
    loaded = PostgresWarehouse(fresh_postgres_url).query("SELECT count(*) AS n FROM raw.spot_trades")
    assert int(loaded["n"].iloc[0]) > 0  # the run loaded the day into this database
    assert secret not in serialize_value(run.tags) + serialize_value(run.run_config)

    # Where the warehouse is used, the reference resolves to the password, which goes into the connection URL.
    resolved = resources_for(settings)["warehouse"].process_config_and_initialize()
    assert resolved.postgres_password == secret
    assert with_password(resolved.postgres_url, resolved.postgres_password).count(secret) == 1
    # dbt reads the password from PG_PASSWORD_ENV itself: the variables set for it carry no copy.
    assert secret not in "".join(resolved.dbt_env().values())
    assert "BINANCE_ASSETS_PG_PASSWORD" not in resolved.dbt_env()
