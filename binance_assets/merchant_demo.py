"""The demo's merchant: a simulated P2P merchant served by the REST simulator, loaded and built like a real one.

A fresh Ed25519 key pair is made for the run; the private key reaches the C2C asset only through the
environment variables the settings name (never printed). The simulator's clock stands one day after
the last demo day (so every order has settled and the days are inside Binance's 6-month window); the
loader syncs its clock offset from `/api/v3/time` first, as it does against Binance.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import secrets
import time
from collections.abc import Callable

import dagster as dg
import pandas as pd

from binance_assets.binance.c2c_sim import SimMerchant
from binance_assets.binance.rest_signing import Ed25519Signer, Ed25519Verifier, new_ed25519_pem
from binance_assets.binance.rest_sim_market import SimMarket
from binance_assets.binance.rest_simulator import MerchantAccount, RestSimulator
from binance_assets.lib.rest_resources import key_env_vars
from binance_assets.lib.run_config import QUIET_CONSOLE
from binance_assets.merchant.assets import C2C_JOB, MARTS_JOB, build_merchant_defs
from binance_assets.settings import Settings
from binance_assets.warehouse.table_names import MERCHANT_DAILY_TABLE

ACCOUNT = "demo"


def run_merchant_demo(
    settings: Settings, start: dt.date, days: int, instance: dg.DagsterInstance, echo: Callable[[str], None] = print
) -> bool:
    last = start + dt.timedelta(days=days - 1)
    market = SimMarket(tuple(settings.symbols), start, last, settings.sim_seed, settings.sim_trades_per_day)
    merchant = SimMerchant(name=ACCOUNT, seed=settings.sim_seed)
    pem = new_ed25519_pem()
    api_key = secrets.token_hex(16)
    accounts = {api_key: MerchantAccount(Ed25519Verifier.from_pem(Ed25519Signer.from_pem(pem).public_pem()), merchant)}
    sim_now = dt.datetime.combine(last + dt.timedelta(days=2), dt.time(), dt.UTC).timestamp()
    names = key_env_vars(ACCOUNT)
    previous = {name: os.environ.get(name) for name in names.values()}
    ok = True
    with RestSimulator(market, accounts, clock=lambda: sim_now) as sim:
        os.environ[names["api_key"]], os.environ[names["private_key_pem"]] = api_key, pem
        try:
            merchant_settings = settings.model_copy(
                update={"merchant_accounts": [ACCOUNT], "rest_base_url": sim.base_url}
            )
            from binance_assets.resources import resources_for

            defs = dg.Definitions.merge(
                build_merchant_defs(merchant_settings), dg.Definitions(resources=resources_for(merchant_settings))
            )
            echo(f"\nmerchant '{ACCOUNT}': C2C orders from the REST simulator at {sim.base_url} (Ed25519-signed)")
            for offset in range(days):
                day = (start + dt.timedelta(days=offset)).isoformat()
                for label, job in (("C2C orders", C2C_JOB), ("merchant marts", MARTS_JOB)):
                    began = time.perf_counter()
                    with contextlib.redirect_stdout(io.StringIO()):
                        result = defs.resolve_job_def(job).execute_in_process(
                            partition_key=day, instance=instance, raise_on_error=False, run_config=QUIET_CONSOLE
                        )
                    ok &= result.success
                    status = "ok" if result.success else "FAILED"
                    echo(f"  {day} {label}: {status} in {time.perf_counter() - began:.1f}s")
            _print_merchant(defs, echo)
            echo(f"  REST simulator: {len(sim.requests)} requests, weight {sim.weight_used()}")
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return ok


def _print_merchant(defs: dg.Definitions, echo: Callable[[str], None]) -> None:
    warehouse = defs.resources["warehouse"].get()
    frame = warehouse.query(
        "select trade_date, asset, fiat, trade_type, order_count, completion_rate, volume, avg_unit_price "
        f"from {MERCHANT_DAILY_TABLE} order by trade_date, asset, fiat, trade_type"
    )
    echo(f"  {'day':<12}{'asset':<6}{'fiat':<5}{'side':<5}{'orders':>7}{'done':>7}{'volume':>14}{'avg price':>13}")
    for row in frame.itertuples(index=False):
        echo(
            f"  {row.trade_date:%Y-%m-%d}  {row.asset:<6}{row.fiat:<5}{row.trade_type:<5}{row.order_count:>7}"
            f"{row.completion_rate:>7.0%}{float(row.volume):>14,.4f}"
            + (f"{float(row.avg_unit_price):>13,.2f}" if pd.notna(row.avg_unit_price) else f"{'-':>13}")
        )
