"""The merchant through Dagster on DuckDB and PostgreSQL: the C2C asset loads a simulated merchant over
the signed REST API (Ed25519 key from environment variables only), its pandera check passes, the
sensor asks for the right days, and the merchant marts are built by dbt with the premium over the spot
price of the same asset and fiat, read from the market's 1m bars."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import time

import dagster as dg
import pandas as pd
import pytest
from support.rest import FakeClock

from binance_assets.binance.c2c_sim import SimMerchant
from binance_assets.binance.rest_signing import Ed25519Signer, Ed25519Verifier, new_ed25519_pem
from binance_assets.binance.rest_sim_market import SimMarket
from binance_assets.binance.rest_simulator import MerchantAccount, RestSimulator
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.merchant.assets import C2C_JOB, C2C_SENSOR, MARTS_JOB, build_merchant_defs
from binance_assets.ops.history import load_raw_days, run_dbt
from binance_assets.resources import resources_for
from binance_assets.settings import Environment, Settings

pytestmark = [pytest.mark.xdist_group("merchant"), pytest.mark.e2e]

DAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)  # inside Binance's 6-month window
PAIR = "USDTTRY"
PEM = new_ed25519_pem()
MARKET = SimMarket((PAIR,), DAY, DAY, trades_per_day=6000)


def _price(asset: str, fiat: str, at_ms: int) -> float:
    return MARKET.spot_price(asset + fiat, dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC))


MERCHANT = SimMerchant(name="acme", orders_per_day=30, assets=("USDT",), fiats=("TRY",), price_of=_price)
KEY = "acme-api-key-not-for-logs"


# the first poll: 30 s after the first order that will be paid was created, so a poll sees it unpaid
FIRST_POLL = next(o for o in MERCHANT.orders_of_day(DAY) if "BUYER_PAYED" in dict(o.timeline)).create_ms / 1000 + 30
CLOCK = FakeClock(FIRST_POLL)  # the simulator's clock; the Dagster resource's client keeps the real one


@pytest.fixture(scope="module")
def sim():
    accounts = {KEY: MerchantAccount(Ed25519Verifier.from_pem(Ed25519Signer.from_pem(PEM).public_pem()), MERCHANT)}
    with RestSimulator(MARKET, accounts, clock=CLOCK) as server:
        yield server


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    out = tmp_path_factory.mktemp("merchant-mirror")
    simulate_mirror(out, [PAIR], DAY, 1, trades_per_day=6000)
    return out


def _settings(tmp, mirror, sim, postgres_url=None) -> Settings:
    common = dict(
        data_dir=tmp / "data",
        archive_base_url=str(mirror),
        symbols=[PAIR],
        start_date=DAY - dt.timedelta(days=3),
        merchant_accounts=["acme"],
        rest_base_url=sim.base_url,
    )
    if postgres_url:
        return Settings(env=Environment.CI, postgres_url=postgres_url, **common)
    return Settings(env=Environment.LOCAL, duckdb_path=tmp / "wh.duckdb", **common)


def _defs(settings: Settings) -> dg.Definitions:
    merchant = build_merchant_defs(settings)
    return dg.Definitions.merge(merchant, dg.Definitions(resources=resources_for(settings)))


@pytest.fixture(scope="module")
def built(sim, mirror, tmp_path_factory, module_postgres_url):
    """DuckDB: the user's path, Dagster runs of the C2C job and the merchant marts (after the market's
    bars). PostgreSQL: the same C2C job, then one `dbt build` of the merchant marts and what they need
    (one dbt invocation instead of two keeps this module's wall time down)."""
    results = {}
    window = {"min_date": DAY.isoformat(), "max_date": DAY.isoformat(), "symbols": [PAIR]}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BINANCE_ASSETS_MERCHANT_ACME_API_KEY", KEY)
        mp.setenv("BINANCE_ASSETS_MERCHANT_ACME_PRIVATE_KEY", PEM)
        for engine, url in (("duckdb", None), ("postgres", module_postgres_url)):
            settings = _settings(tmp_path_factory.mktemp(engine), mirror, sim, url)
            load_raw_days(settings, [DAY], [PAIR])
            defs = _defs(settings)
            with dg.instance_for_test() as instance, contextlib.redirect_stdout(io.StringIO()):
                # a poll soon after the first paid order was created (the client syncs to the simulator clock), then now
                loads = []
                for now in (FIRST_POLL, time.time()):
                    CLOCK.now = now
                    loads.append(
                        defs.resolve_job_def(C2C_JOB).execute_in_process(
                            partition_key=DAY.isoformat(), instance=instance, raise_on_error=False
                        )
                    )
                load = loads[-1]
                marts = None
                if engine == "duckdb":
                    run_dbt(settings, ["run", "--select", "+fct_bars_1m"], window=window)
                    marts = defs.resolve_job_def(MARTS_JOB).execute_in_process(
                        partition_key=DAY.isoformat(), instance=instance, raise_on_error=False
                    )
                else:
                    days = {"min_date": DAY.isoformat(), "max_date": DAY.isoformat()}  # as the merchant asset passes
                    run_dbt(settings, ["build", "--select", "+tag:merchant", "--indirect-selection", "cautious"],
                            window=days)
                sensor = defs.resolve_sensor_def(C2C_SENSOR)
                with dg.build_sensor_context(instance=instance, resources=resources_for(settings)) as ctx:
                    tick = sensor(ctx)
            wh = resources_for(settings)["warehouse"].get()
            results[engine] = {
                "load": load,
                "first_load": loads[0],
                "marts": marts,
                "tick": tick,
                "orders": wh.query("select * from marts.fct_c2c_orders order by order_number"),
                "daily": wh.query("select * from marts.fct_merchant_daily order by trade_type"),
                "bars": wh.query("select symbol, open_time, close from marts.fct_bars_1m"),
            }
    return results


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_c2c_asset_check_and_marts_runs_succeed(built, engine):
    result = built[engine]
    for run in ("first_load", "load", "marts") if engine == "duckdb" else ("first_load", "load"):
        assert result[run].success, [e.message for e in result[run].all_events if e.is_failure]
    checks = [
        e.event_specific_data for e in result["load"].all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    assert [(c.check_name, c.passed) for c in checks] == [("pandera_schema", True)]
    if engine == "duckdb":  # the merchant marts' dbt tests ran as Dagster asset checks
        events = result["marts"].all_events
        dbt_checks = [e.event_specific_data for e in events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
        assert len(dbt_checks) >= 10 and all(c.passed for c in dbt_checks)
    logs = "\n".join(str(e.message) for e in result["load"].all_events)
    assert KEY not in logs and "PRIVATE KEY" not in logs


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_fct_c2c_orders_latest_status_and_premium(built, engine):
    orders = built[engine]["orders"]
    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    truth = {o.order_number: o for o in MERCHANT.orders_of_day(DAY)}
    assert set(orders["order_number"]) == set(truth)
    assert all(
        truth[n].status_at(now_ms) == s for n, s in zip(orders["order_number"], orders["order_status"], strict=True)
    )
    priced = orders.dropna(subset=["spot_price"])
    assert len(priced) >= len(orders) // 2  # most minutes of the day have a USDTTRY bar
    bars = built[engine]["bars"].assign(open_time=lambda f: pd.to_datetime(f["open_time"]))
    minute = pd.to_datetime(priced["created_at"]).dt.floor("min")
    closes = bars.set_index("open_time")["close"].astype(float)
    assert (priced["spot_price"].astype(float).to_numpy() == closes.loc[minute].to_numpy()).all()
    premium = priced["unit_price"].astype(float) / priced["spot_price"].astype(float) - 1
    assert (premium - priced["premium_over_spot"].astype(float)).abs().max() < 1e-9
    assert priced["premium_over_spot"].astype(float).abs().max() < 0.2  # near the spot price
    # orders seen unpaid at the first poll and paid later have a time to pay; those first seen later have none
    noon_ms = int(FIRST_POLL * 1000)
    seen_unpaid = {n for n, o in truth.items() if o.status_at(noon_ms) in ("TRADING", "PENDING")}
    timed = orders[orders["minutes_to_pay"].notna()]
    paid_later = {n for n in seen_unpaid if "BUYER_PAYED" in [s for s, _ in truth[n].timeline]}
    assert set(timed["order_number"]) == paid_later and paid_later
    assert (timed["minutes_to_pay"].astype(float) > 0).all()
    unseen = orders[orders["created_at"] > pd.Timestamp(FIRST_POLL, unit="s")]
    assert len(unseen) and unseen["minutes_to_pay"].isna().all() and (unseen["statuses_seen"] == 1).all()


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_fct_merchant_daily_adds_up(built, engine):
    orders, daily = built[engine]["orders"], built[engine]["daily"]
    assert list(daily["trade_type"]) == ["BUY", "SELL"]
    for _, row in daily.iterrows():
        side = orders[orders["trade_type"] == row["trade_type"]]
        done = side[side["order_status"] == "COMPLETED"]
        assert row["order_count"] == len(side)
        assert float(row["completion_rate"]) == pytest.approx(len(done) / len(side))
        assert float(row["volume"]) == pytest.approx(done["amount"].astype(float).sum(), rel=1e-12)
        assert row["counterparties"] == side["counterparty_nickname"].nunique()


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for column in frame.columns:
        try:
            out[column] = frame[column].astype(float)
        except (TypeError, ValueError):
            out[column] = frame[column].astype(str)
    return pd.DataFrame(out)


def test_engines_agree(built):
    for mart in ("daily", "orders"):
        duck, pg = built["duckdb"][mart], built["postgres"][mart]
        # when a poll saw an order differs by milliseconds between the two engines' runs
        duck = duck[[c for c in duck.columns if not c.endswith("_seen_at") and "minutes_to" not in c]]
        pd.testing.assert_frame_equal(_comparable(duck), _comparable(pg[duck.columns]), check_exact=False, rtol=1e-9)


def test_sensor_requests_today_open_days_and_backfill(built):
    tick = built["duckdb"]["tick"]
    keys = sorted(r.partition_key for r in tick.run_requests)
    today = dt.datetime.now(dt.UTC).date()
    assert today.isoformat() in keys and (today - dt.timedelta(days=1)).isoformat() in keys
    assert DAY.isoformat() in keys  # the backfill walks back to the start date
    assert min(keys) == (DAY - dt.timedelta(days=3)).isoformat()
    assert json.loads(tick.cursor) == {"acme": min(keys)}
