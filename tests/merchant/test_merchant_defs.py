"""The merchant's Dagster definitions: one or several accounts, keys as EnvVar references only, and the
days the sensor asks for."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from binance_assets.lib.rest_resources import account_resource_key, merchant_resource
from binance_assets.merchant.assets import C2C_JOB, build_merchant_defs, c2c_partitions, days_to_request
from binance_assets.resources import resources_for
from binance_assets.settings import Settings

TODAY = dt.date(2026, 11, 30)


def test_days_to_request_walks_back_to_six_months():
    start = dt.date(2025, 1, 1)
    days, mark = days_to_request(TODAY, start, None, [TODAY - dt.timedelta(days=3), TODAY - dt.timedelta(days=30)])
    assert TODAY in days and TODAY - dt.timedelta(days=1) in days
    assert TODAY - dt.timedelta(days=3) in days  # an open order inside the re-read window
    assert TODAY - dt.timedelta(days=30) not in days or mark <= TODAY - dt.timedelta(days=30)
    assert mark == TODAY - dt.timedelta(days=15) and len(days) == 16
    marks = [mark]
    for _ in range(20):
        _, mark = days_to_request(TODAY, start, mark, [])
        marks.append(mark)
    assert marks[-1] == TODAY - dt.timedelta(days=179)  # never older than Binance serves
    assert days_to_request(TODAY, TODAY - dt.timedelta(days=2), None, [])[0] == [
        TODAY - dt.timedelta(days=2),
        TODAY - dt.timedelta(days=1),
        TODAY,
    ]


def test_two_accounts_partition_by_account_and_keep_keys_out_of_config(monkeypatch):
    monkeypatch.setenv("BINANCE_ASSETS_MERCHANT_SHOP_API_KEY", "KEY-VALUE-1")
    monkeypatch.setenv("BINANCE_ASSETS_MERCHANT_SHOP_API_SECRET", "SECRET-VALUE-1")
    monkeypatch.setenv("BINANCE_ASSETS_MERCHANT_DESK_API_KEY", "KEY-VALUE-2")
    monkeypatch.setenv("BINANCE_ASSETS_MERCHANT_DESK_PRIVATE_KEY", "PEM-VALUE-2")
    monkeypatch.setenv("BINANCE_ASSETS_MERCHANT_DESK_API_SECRET", "SECRET-VALUE-2")
    settings = Settings(merchant_accounts="shop,desk", start_date=dt.date(2026, 1, 1))
    assert settings.merchant_accounts == ["shop", "desk"]
    partitions = c2c_partitions(settings)
    assert isinstance(partitions, dg.MultiPartitionsDefinition)
    defs = dg.Definitions.merge(build_merchant_defs(settings), dg.Definitions(resources=resources_for(settings)))
    assert defs.resolve_job_def(C2C_JOB).partitions_def == partitions
    shop, desk = merchant_resource(settings, "shop"), merchant_resource(settings, "desk")
    assert shop.api_key == "BINANCE_ASSETS_MERCHANT_SHOP_API_KEY"  # the EnvVar's name, not its value
    assert desk.private_key_pem == "BINANCE_ASSETS_MERCHANT_DESK_PRIVATE_KEY" and desk.api_secret is None
    shown = repr(shop) + repr(desk) + account_resource_key("shop")
    assert not any(v in shown for v in ("KEY-VALUE-1", "SECRET-VALUE-1", "PEM-VALUE-2", "SECRET-VALUE-2"))
    with pytest.raises(ValueError, match="merchant account names"):
        merchant_resource(settings, "Bad Name")


def test_no_account_means_only_the_empty_marts():
    settings = Settings(merchant_accounts="")
    defs = dg.Definitions.merge(build_merchant_defs(settings), dg.Definitions(resources=resources_for(settings)))
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert "marts/fct_merchant_daily" in keys and not any(s.name == "c2c_orders_sensor" for s in defs.sensors or [])
