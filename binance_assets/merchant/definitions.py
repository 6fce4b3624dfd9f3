"""The merchant domain's definitions (C2C orders, their check and sensor); empty without a merchant account."""

import dagster as dg

from binance_assets.merchant.assets import MERCHANT_GROUP, build_merchant_defs
from binance_assets.merchant.dbt_assets import MERCHANT_DBT_KEYS

__all__ = ["build_merchant_defs", "merchant_selection"]


def merchant_selection() -> dg.AssetSelection:
    """The merchant assets: partitioned by day (and account), so never in the market partition jobs."""
    return dg.AssetSelection.groups(MERCHANT_GROUP) | dg.AssetSelection.assets(*MERCHANT_DBT_KEYS)
