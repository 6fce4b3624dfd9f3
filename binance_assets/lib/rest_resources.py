"""Dagster resources for the Binance REST API: public market data and one signed client per merchant.

Keys are secrets: they reach Dagster only as `dg.EnvVar` references (the UI and run config show the
variable's name, never its value). The public client's market-data key (USD-M futures' historicalTrades asks for
one, no secret): BINANCE_ASSETS_REST_API_KEY. For merchant account `acme`:
  BINANCE_ASSETS_MERCHANT_ACME_API_KEY       the API key (header X-MBX-APIKEY)
  BINANCE_ASSETS_MERCHANT_ACME_PRIVATE_KEY   an Ed25519 private key, PEM (Binance's recommended kind), or
  BINANCE_ASSETS_MERCHANT_ACME_API_SECRET    an HMAC-SHA256 secret
  BINANCE_ASSETS_MERCHANT_ACME_PRIVATE_KEY_PASSWORD   the PEM's passphrase, if it has one
A secrets store (e.g. AWS Secrets Manager in ECS task definitions) fills these variables.
"""

from __future__ import annotations

import os
import re

import dagster as dg

from binance_assets.binance import fapi_shapes, rest_shapes
from binance_assets.binance.rest_client import BinanceRestClient
from binance_assets.binance.rest_protocol import API_KEY_PATHS
from binance_assets.binance.rest_signing import make_signer
from binance_assets.binance.schema import Market
from binance_assets.settings import Settings

PUBLIC_REST_KEY = "binance_rest"
MARKET_DATA_KEY_ENV = "BINANCE_ASSETS_REST_API_KEY"
WEIGHT_LIMITS = {Market.SPOT: rest_shapes.WEIGHT_LIMIT_1M, Market.FUTURES_UM: fapi_shapes.WEIGHT_LIMIT_1M}


def can_call(path: str | None) -> bool:
    """Whether the public client can call `path`: it needs no key, or the market-data key is configured."""
    return path is not None and (path not in API_KEY_PATHS or MARKET_DATA_KEY_ENV in os.environ)


class BinanceRestResource(dg.ConfigurableResource):
    """A Binance REST client: `base_url` (api.binance.com or the simulator; `um_base_url` for USD-M futures,
    fapi.binance.com), weight share, recvWindow, keys."""

    base_url: str
    um_base_url: str | None = None
    weight_share: float = 0.8
    recv_window_ms: int = 5000
    api_key: str | None = None
    api_secret: str | None = None
    private_key_pem: str | None = None
    private_key_password: str | None = None

    def client(self, market: Market = Market.SPOT) -> BinanceRestClient:
        """A client of `market`'s REST host (spot: `base_url`, USD-M futures: `um_base_url`)."""
        signer = None
        if self.api_secret or self.private_key_pem:
            signer = make_signer(self.api_secret, self.private_key_pem, self.private_key_password)
        hosts = {Market.SPOT: self.base_url, Market.FUTURES_UM: self.um_base_url}
        if hosts.get(market) is None:
            raise ValueError(f"no REST base URL for {market.value} (spot: base_url, USD-M futures: um_base_url)")
        return BinanceRestClient(
            str(hosts[market]),
            weight_limit=WEIGHT_LIMITS[market],  # each host has its own budget: 6000/min spot, 2400/min USD-M
            api_key=self.api_key,
            signer=signer,
            weight_share=self.weight_share,
            recv_window_ms=self.recv_window_ms,
        )


def account_resource_key(account: str) -> str:
    return f"c2c_{account}"


def key_env_vars(account: str) -> dict[str, str]:
    if not re.fullmatch(r"[a-z0-9_]{1,32}", account):
        raise ValueError(f"merchant account names are [a-z0-9_]{{1,32}}, got {account!r}")
    prefix = f"BINANCE_ASSETS_MERCHANT_{account.upper()}_"
    return {
        "api_key": prefix + "API_KEY",
        "private_key_pem": prefix + "PRIVATE_KEY",
        "api_secret": prefix + "API_SECRET",
        "private_key_password": prefix + "PRIVATE_KEY_PASSWORD",
    }


def merchant_resource(settings: Settings, account: str) -> BinanceRestResource:
    """The account's signed client; its keys are EnvVar references (only their presence is looked at here)."""
    names = key_env_vars(account)
    refs = {field: dg.EnvVar(name) for field, name in names.items() if name in os.environ}
    if "private_key_pem" in refs:
        refs.pop("api_secret", None)  # Ed25519 wins when both are configured
    return BinanceRestResource(
        base_url=settings.rest_base_url,
        weight_share=settings.rest_weight_share,
        recv_window_ms=settings.rest_recv_window_ms,
        **refs,
    )


def rest_resources(settings: Settings) -> dict[str, BinanceRestResource]:
    key = {"api_key": dg.EnvVar(MARKET_DATA_KEY_ENV)} if MARKET_DATA_KEY_ENV in os.environ else {}
    resources = {
        PUBLIC_REST_KEY: BinanceRestResource(
            base_url=settings.rest_base_url,
            um_base_url=settings.rest_um_base_url,
            weight_share=settings.rest_weight_share,
            recv_window_ms=settings.rest_recv_window_ms,
            **key,
        )
    }
    for account in settings.merchant_accounts:
        resources[account_resource_key(account)] = merchant_resource(settings, account)
    return resources
