"""The dashboard's cookie. Its settings (`BINANCE_ASSETS_DASHBOARD_*`) are `binance_api.settings.DashboardSettings`,
beside the API's, so the app's state (binance_api.state) can hold them."""

from __future__ import annotations

from binance_api.settings import DashboardSettings

COOKIE_NAME = "bmp_dashboard"

__all__ = ["COOKIE_NAME", "DashboardSettings"]
