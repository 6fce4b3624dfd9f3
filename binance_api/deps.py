"""Typed FastAPI dependencies, as in full-stack-fastapi-template's `api/deps.py`: declare a parameter with one of
these aliases (`session: ReadSessionDep`, `services: ServicesDep`, `config: ConfigDep`) and FastAPI provides it;
routers require a token scope with `require_<scope>`, the dashboard's pages with `PagePrincipal`/`DataPrincipal`
(binance_api.dashboard.session). Routes and pages never read `request.app.state` themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from binance_api.core.security import AuthError, Principal, authenticate
from binance_api.services.cache import ResponseCache
from binance_api.settings import ApiConfig
from binance_api.state import Services, services_of
from binance_assets.warehouse.snapshots import ReadSession

bearer = HTTPBearer(auto_error=False, description="A JWT: `binance-api token` locally, Cognito in prod.")


def get_services(request: Request) -> Services:
    return services_of(request.app)


ServicesDep = Annotated[Services, Depends(get_services)]


def get_config(services: ServicesDep) -> ApiConfig:
    return services.config


ConfigDep = Annotated[ApiConfig, Depends(get_config)]


def get_cache(services: ServicesDep) -> ResponseCache:
    return services.cache


CacheDep = Annotated[ResponseCache, Depends(get_cache)]


async def read_session(services: ServicesDep) -> AsyncIterator[ReadSession]:
    """One consistent read of the warehouse for the whole request (one snapshot / one transaction).

    The DuckDB snapshot in use is taken on the event loop (a stat); opening a new snapshot or a
    PostgreSQL transaction blocks, so that runs in the thread pool."""
    reader = services.reader
    fast = getattr(reader, "current_session", None)  # DuckDBSnapshotReader only
    current: ReadSession | None = fast() if fast is not None else None
    if current is not None:
        yield current
        return
    manager: AbstractContextManager[ReadSession] = reader.session()
    session: ReadSession = await run_in_threadpool(manager.__enter__)
    try:
        yield session
    except BaseException as exc:
        if not await run_in_threadpool(manager.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await run_in_threadpool(manager.__exit__, None, None, None)


ReadSessionDep = Annotated[ReadSession, Depends(read_session)]


def require(scope: str, *, optional_if_public: bool = False):
    """A dependency: the bearer token's principal holding `scope` (401/403 `AuthError` otherwise). With
    `optional_if_public`, None when the market-data paths are public and no token was sent."""

    async def dependency(
        request: Request, services: ServicesDep, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Principal | None:
        if optional_if_public and services.config.market_data_public and credentials is None:
            return None
        header = request.headers.get("authorization")
        if credentials is None and not header:
            raise AuthError(401, "missing_token", "this route needs a bearer token (Authorization: Bearer <jwt>)")
        if services.verifier.blocking:
            principal = await run_in_threadpool(authenticate, services.verifier, header, scope)
        else:  # CPU only (HS256): no thread hop
            principal = authenticate(services.verifier, header, scope)
        request.state.principal = principal
        return principal

    return dependency


# One dependency per scope, declared by the routers (`dependencies=[Depends(require_market_data)]`, as the template
# guards its superuser routes); FastAPI resolves each once per request.
require_market_data = require("market_data")
require_public_market_data = require("market_data", optional_if_public=True)
require_predictions = require("predictions")
require_admin = require("admin")
