"""FastAPI dependencies: the process's services, the read session of a request, auth by scope."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from binance_api.middleware.auth import AuthError, Principal, authenticate
from binance_api.services.dependencies import Services

bearer = HTTPBearer(auto_error=False, description="A JWT: `binance-api token` locally, Cognito in prod.")


def services(request: Request) -> Services:
    return request.app.state.services


async def read_session(request: Request) -> AsyncIterator:
    """One consistent read of the warehouse for the whole request (one snapshot / one transaction).

    The DuckDB snapshot in use is taken on the event loop (a stat); opening a new snapshot or a
    PostgreSQL transaction blocks, so that runs in the thread pool."""
    reader = request.app.state.services.reader
    fast = getattr(reader, "current_session", None)
    session = fast() if fast is not None else None
    if session is not None:
        yield session
        return
    manager = reader.session()
    session = await run_in_threadpool(manager.__enter__)
    try:
        yield session
    except BaseException as exc:
        if not await run_in_threadpool(manager.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await run_in_threadpool(manager.__exit__, None, None, None)


def require(scope: str, *, optional_if_public: bool = False):
    async def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Principal | None:
        svc: Services = request.app.state.services
        if optional_if_public and svc.config.market_data_public and credentials is None:
            return None
        header = request.headers.get("authorization")
        if credentials is None and not header:
            raise AuthError(401, "missing_token", "this route needs a bearer token (Authorization: Bearer <jwt>)")
        if getattr(svc.verifier, "blocking", True):
            principal = await run_in_threadpool(authenticate, svc.verifier, header, scope)
        else:  # CPU only (HS256): no thread hop
            principal = authenticate(svc.verifier, header, scope)
        request.state.principal = principal
        return principal

    return dependency
