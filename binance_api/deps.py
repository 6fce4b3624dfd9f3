"""FastAPI dependencies: the process's services, the read session of a request, auth by scope."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from binance_api.middleware.auth import AuthError, Principal, authenticate
from binance_api.services.dependencies import Services

bearer = HTTPBearer(auto_error=False, description="A JWT: `binance-assets api token` locally, Cognito in prod.")


def services(request: Request) -> Services:
    return request.app.state.services


def read_session(request: Request) -> Iterator:
    """One consistent read of the warehouse for the whole request (one snapshot / one transaction)."""
    with request.app.state.services.reader.session() as session:
        yield session


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
        principal = await run_in_threadpool(authenticate, svc.verifier, header, scope)
        request.state.principal = principal
        return principal

    return dependency
