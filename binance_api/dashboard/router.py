"""/dashboard: the pages (server-rendered shells) and the JSON they load, behind the API's auth."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from binance_api.core.security import AuthError, Principal
from binance_api.dashboard import health, market, models
from binance_api.dashboard.dagster_storage import CheckStorageError, CheckStore
from binance_api.dashboard.session import (
    DataPrincipal,
    LoginRequired,
    PagePrincipal,
    dev_login_available,
    dev_token,
    login_url,
    safe_next,
    verify,
)
from binance_api.dashboard.settings import COOKIE_NAME
from binance_api.deps import ServicesDep
from binance_api.services import ml_service
from binance_api.settings import DashboardSettings
from binance_api.state import Services, services_of
from binance_assets.settings import Environment
from binance_assets.warehouse.snapshots import ReadSession

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/dashboard", include_in_schema=False)
PAGES = {"market": "Market", "health": "Data health", "models": "Models"}
MAX_HEALTH_DAYS = 92


@contextmanager
def _read(services: Services) -> Iterator[ReadSession]:
    """One consistent read of the warehouse, opened in the thread that uses it (DuckDB cursors are per thread)."""
    with services.reader.session() as session:
        yield session


def _store(services: Services) -> CheckStore:
    return CheckStore(services.config.dagster_storage)


def _due_hours(services: Services) -> float:
    return float(services.config.core.raw_due_hours_after_midnight)


def _page(request: Request, name: str, principal: Principal, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request, f"{name}.html",
        {"page": name, "pages": PAGES, "title": PAGES[name], "subject": principal.subject,
         "scopes": sorted(principal.scopes), **context},
    )


def _bad(reason: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": "bad_request", "reason": reason}, status_code=status)


def _day(value: str | None, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a date YYYY-MM-DD, got {value!r}") from None


# --- sign-in ---------------------------------------------------------------------------------------
@router.get("", response_class=RedirectResponse)
async def index() -> RedirectResponse:
    return RedirectResponse("/dashboard/market", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request, services: ServicesDep, next: str | None = None, error: str | None = None
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "login.html",
        {"title": "Sign in", "next": safe_next(next), "error": error, "page": "login", "pages": PAGES,
         "dev_login": dev_login_available(services)},
        status_code=401 if error else 200,
    )


@router.post("/login")
async def login(request: Request, services: ServicesDep):
    form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    target = safe_next(form.get("next"))
    if form.get("dev") and dev_login_available(services):
        token = dev_token(services)
    else:
        token = form.get("token", "").strip().removeprefix("Bearer ").strip()
    try:
        await verify(services, token)
    except AuthError as exc:
        return await login_page(request, services, next=target, error=exc.reason)
    response = RedirectResponse(target, status_code=303)
    settings = services.dashboard
    secure = settings.cookie_secure if settings.cookie_secure is not None else services.config.env is Environment.PROD
    response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="strict", secure=secure, path="/dashboard")
    return response


@router.post("/logout")
async def logout() -> RedirectResponse:
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/dashboard")
    return response


# --- pages -----------------------------------------------------------------------------------------
@router.get("/market", response_class=HTMLResponse)
def market_page(request: Request, principal: PagePrincipal, services: ServicesDep):
    with _read(services) as session:
        (lo, hi), symbols = market.day_range(session), market.symbols(session)
    return _page(request, "market", principal, symbols=symbols, first_day=lo, last_day=hi,
                 intervals=list(market.INTERVAL_SECONDS), max_days=services.dashboard.max_market_days,
                 can_predict="predictions" in principal.scopes)


@router.get("/health", response_class=HTMLResponse)
def health_page(request: Request, principal: PagePrincipal, services: ServicesDep):
    with _read(services) as session:
        lo, hi = health.loaded_range(session)
    return _page(request, "health", principal, first_day=lo, last_day=hi, statuses=health.STATUSES,
                 dagster_ui=services.dashboard.dagster_ui_url)


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request, principal: PagePrincipal):
    return _page(request, "models", principal, can_admin="admin" in principal.scopes)


# --- data ------------------------------------------------------------------------------------------
@router.get("/data/market")
def market_data(
    principal: DataPrincipal,
    services: ServicesDep,
    symbol: str,
    interval: str = "1m",
    start: str | None = None,
    end: str | None = None,
):
    with _read(services) as session:
        return _market_data(services, session, principal, symbol, interval, start, end)


def _market_data(
    services: Services, session: ReadSession, principal: Principal, symbol: str, interval: str,
    start: str | None, end: str | None,
):
    try:
        _, hi = market.day_range(session)
        start_arg = _day(start, "start")
        end_day = _day(end, "end") or hi
        if end_day is None:
            return {"symbol": symbol, "interval": interval, "candles": [], "volume": [], "vwap": [],
                    "predictions": {"points": [], "model_versions": [], "available": False}}
        start_day = start_arg or end_day
        max_days = services.dashboard.max_market_days
        if (end_day - start_day).days + 1 > max_days:
            raise market.BadRange(f"at most {max_days} days at once (asked {start_day} .. {end_day})")
        if symbol not in market.symbols(session):
            return _bad(f"unknown symbol {symbol!r}", 404)
        engine = services.engine
        bars = market.candles(session, engine, symbol, interval, start_day, end_day)
    except ValueError as exc:
        return _bad(str(exc))
    if "predictions" in principal.scopes:
        calls = market.predictions(session, symbol, interval, start_day, end_day)
    else:
        calls = {"points": [], "model_versions": [], "available": False, "reason": "the token lacks 'predictions'"}
    return {"symbol": symbol, "interval": interval, "start": start_day.isoformat(), "end": end_day.isoformat(),
            **bars, "predictions": calls}


@router.get("/data/health")
def health_data(
    principal: DataPrincipal,
    services: ServicesDep,
    start: str | None = None,
    end: str | None = None,
):
    with _read(services) as session:
        return _health_data(services, session, start, end)


def _health_data(services: Services, session: ReadSession, start: str | None, end: str | None):
    try:
        lo, hi = health.loaded_range(session)
        start_arg = _day(start, "start")
        end_day = _day(end, "end") or hi
        if end_day is None:
            return {"days": [], "symbols": [], "tables": [], "freshness": [], "failing_checks": []}
        start_day = start_arg or (max(lo, end_day - dt.timedelta(days=30)) if lo else end_day)
        if end_day < start_day or (end_day - start_day).days + 1 > MAX_HEALTH_DAYS:
            raise ValueError(f"the range must be 1 to {MAX_HEALTH_DAYS} days, got {start_day} .. {end_day}")
    except ValueError as exc:
        return _bad(str(exc))
    store, due = _store(services), _due_hours(services)
    try:
        symbols = services.config.core.symbols
        grid = health.heatmap(session, store, start_day, end_day, due, expected_symbols=symbols)
        failing = health.failing_checks(store)
    except CheckStorageError as exc:
        return _bad(str(exc), 503)
    now = dt.datetime.now(dt.UTC)
    return {**grid, "freshness": health.freshness(session, now, due), "failing_checks": failing,
            "checks_source": "dagster" if store.configured else None, "generated_at": now.isoformat()}


@router.get("/data/partition")
def partition_data(
    principal: DataPrincipal,
    services: ServicesDep,
    table: str,
    symbol: str,
    day: str,
):
    try:
        when = _day(day, "day")
        if when is None:
            raise ValueError("day must be a date YYYY-MM-DD, got ''")
        with _read(services) as session:
            detail = health.partition_detail(
                session, _store(services), services.dashboard.dagster_ui_url, table, symbol, when, _due_hours(services)
            )
    except (ValueError, KeyError) as exc:
        return _bad(str(exc).strip("'"), 404 if isinstance(exc, KeyError) else 400)
    except CheckStorageError as exc:
        return _bad(str(exc), 503)
    return detail


@router.get("/data/models")
def models_data(principal: DataPrincipal, services: ServicesDep):
    if "admin" not in principal.scopes:
        return JSONResponse({"error": "insufficient_scope", "reason": "the token lacks the scope 'admin'"}, 403)
    registry = ml_service.registry(services.config)
    try:
        drift = models.drift_by_day(_store(services))
    except CheckStorageError as exc:
        drift = {"days": [], "features": [], "error": str(exc)}
    return {"models": models.models_overview(registry), "drift": drift}


def install(app: FastAPI, settings: DashboardSettings | None = None) -> None:
    """Mount the dashboard on the API app: pages, data routes, static assets, the login redirect. `settings`:
    the dashboard's settings, else those the app's services were built with (the environment's)."""
    if settings is not None:
        services_of(app).dashboard = settings
    app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        return RedirectResponse(login_url(exc.next_path), status_code=303)


__all__ = ["install", "router"]
