"""Dashboard sign-in: the page form takes a bearer token (the API's JWT) and keeps it in an HttpOnly,
SameSite=Strict cookie; every page and data call verifies it as the API does (same verifier, same scopes).
In `local` with HS256 tokens the login page offers the local dev token (minted on the server)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from binance_api.core.security import AuthError, Principal, authenticate, mint_token
from binance_api.dashboard.settings import COOKIE_NAME
from binance_api.deps import ServicesDep
from binance_api.settings import AuthMode
from binance_api.state import Services
from binance_assets.settings import Environment

DEV_SUBJECT = "local-dashboard"
DEV_TTL = dt.timedelta(hours=12)
PAGE_SCOPE = "market_data"


class LoginRequired(Exception):
    """An unauthenticated page visit: redirected to the login page."""

    def __init__(self, next_path: str, reason: str = "") -> None:
        super().__init__(reason)
        self.next_path, self.reason = next_path, reason


def dev_login_available(services: Services) -> bool:
    config = services.config
    return config.env is Environment.LOCAL and config.auth_mode is AuthMode.HS256


def dev_token(services: Services) -> str:
    return mint_token(services.config, DEV_SUBJECT, ("market_data", "predictions", "admin"), DEV_TTL)


def safe_next(path: str | None) -> str:
    """Only a path inside the dashboard (no open redirect)."""
    if path and path.startswith("/dashboard") and not path.startswith("//") and "\\" not in path:
        return path
    return "/dashboard/market"


def login_url(next_path: str) -> str:
    return f"/dashboard/login?next={quote(safe_next(next_path), safe='')}"


async def verify(services: Services, token: str | None, scope: str = PAGE_SCOPE) -> Principal:
    if not token:
        raise AuthError(401, "missing_token", "sign in with a token")
    return await run_in_threadpool(authenticate, services.verifier, f"Bearer {token}", scope)


async def page_principal(request: Request, services: ServicesDep) -> Principal:
    """The signed-in principal of a page request, else `LoginRequired` (turned into a redirect)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        return await verify(services, request.cookies.get(COOKIE_NAME))
    except AuthError as exc:
        if exc.status == 403:
            raise
        raise LoginRequired(target, exc.reason) from None


async def data_principal(request: Request, services: ServicesDep) -> Principal:
    """The signed-in principal of a data call (JSON 401/403 when not)."""
    return await verify(services, request.cookies.get(COOKIE_NAME))


PagePrincipal = Annotated[Principal, Depends(page_principal)]
DataPrincipal = Annotated[Principal, Depends(data_principal)]
