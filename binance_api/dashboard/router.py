"""/dashboard: the pages (server-rendered shells) and the JSON they load, behind the API's auth."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from binance_api.core.security import AuthError, Principal
from binance_api.dashboard import health, market, models, symbol_routes, views
from binance_api.dashboard.common import bad, due_hours, parse_day, read, store
from binance_api.dashboard.dagster_storage import CheckStorageError
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
from binance_api.services import futures, ml_service
from binance_api.settings import DashboardSettings
from binance_api.state import Services, services_of
from binance_assets.settings import Environment
from binance_assets.warehouse.snapshots import ReadSession
from binance_assets.warehouse.table_names import UM_BARS_1M_TABLE

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/dashboard", include_in_schema=False)
PAGES = {"market": "Market", "health": "Data health", "models": "Models"}
MAX_CHARTS = 4  # charts drawn at once on the Market page


def _page(request: Request, name: str, principal: Principal, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request, f"{name}.html",
        {"page": name, "pages": PAGES, "title": PAGES[name], "subject": principal.subject,
         "scopes": sorted(principal.scopes), **context},
    )


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
    with read(services) as session:
        lo, hi = views.market_range(services, session)
    return _page(request, "market", principal, first_day=lo, last_day=hi, page_size=symbol_routes.MARKET_PAGE_SIZE,
                 max_charts=MAX_CHARTS,
                 intervals=list(market.INTERVAL_SECONDS), max_days=services.dashboard.max_market_days,
                 can_predict="predictions" in principal.scopes)


@router.get("/health", response_class=HTMLResponse)
def health_page(request: Request, principal: PagePrincipal, services: ServicesDep):
    with read(services) as session:
        lo, hi = views.loaded_range(services, session)
    return _page(request, "health", principal, first_day=lo, last_day=hi, statuses=health.STATUSES,
                 dagster_ui=services.dashboard.dagster_ui_url, page_size=symbol_routes.HEALTH_PAGE_SIZE)


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
    with read(services) as session:
        return _market_data(services, session, principal, symbol, interval, start, end)


def _market_data(
    services: Services, session: ReadSession, principal: Principal, symbol: str, interval: str,
    start: str | None, end: str | None,
):
    um = market.futures_symbol(symbol)  # a USD-M perpetual (`UM:BTCUSDT`): its futures bars, no model calls
    if um is None and symbol not in services.exchange_info.get(session).known:
        return bad(f"unknown symbol {symbol!r}", 404)
    if um is not None and um not in futures.symbols(session):
        return bad(f"unknown USD-M perpetual {symbol!r}", 404)
    try:
        _, hi = views.market_range(services, session)
        start_arg = parse_day(start, "start")
        end_day = parse_day(end, "end") or hi
        if end_day is None or hi is None:  # no bars yet at all
            return {"symbol": symbol, "interval": interval, "candles": [], "volume": [], "vwap": [],
                    "predictions": {"points": [], "model_versions": [], "available": False}}
        start_day = start_arg or end_day
        max_days = services.dashboard.max_market_days
        if (end_day - start_day).days + 1 > max_days:
            raise market.BadRange(f"at most {max_days} days at once (asked {start_day} .. {end_day})")
        engine = services.engine
        bars = market.candles(session, engine, um or symbol, interval, start_day, end_day,
                              bars_table=UM_BARS_1M_TABLE if um else None)
    except ValueError as exc:
        return bad(str(exc))
    if um is not None:
        calls = {"points": [], "model_versions": [], "available": False, "reason": "no model scores USD-M futures"}
    elif "predictions" in principal.scopes:
        calls = market.predictions(session, symbol, interval, start_day, end_day)
    else:
        calls = {"points": [], "model_versions": [], "available": False, "reason": "the token lacks 'predictions'"}
    return {"symbol": symbol, "interval": interval, "start": start_day.isoformat(), "end": end_day.isoformat(),
            **bars, "predictions": calls}


@router.get("/data/partition")
def partition_data(
    principal: DataPrincipal,
    services: ServicesDep,
    table: str,
    symbol: str,
    day: str,
):
    try:
        when = parse_day(day, "day")
        if when is None:
            raise ValueError("day must be a date YYYY-MM-DD, got ''")
        um = market.futures_symbol(symbol)  # a heat-map row of a USD-M perpetual (`UM:BTCUSDT`)
        with read(services) as session:
            listing = None if um else services.exchange_info.get(session).by_symbol.get(symbol)
            detail = health.partition_detail(
                session, store(services), services.dashboard.dagster_ui_url, table, um or symbol, when,
                due_hours(services),
                listed=listing is None or listing.listed_on(when),
            )
    except (ValueError, KeyError) as exc:
        return bad(str(exc).strip("'"), 404 if isinstance(exc, KeyError) else 400)
    except CheckStorageError as exc:
        return bad(str(exc), 503)
    return detail


@router.get("/data/models")
def models_data(principal: DataPrincipal, services: ServicesDep):
    if "admin" not in principal.scopes:
        return JSONResponse({"error": "insufficient_scope", "reason": "the token lacks the scope 'admin'"}, 403)
    registry = ml_service.registry(services.config)
    try:
        drift = models.drift_by_day(store(services))
    except CheckStorageError as exc:
        drift = {"days": [], "features": [], "error": str(exc)}
    return {"models": models.models_overview(registry), "drift": drift}


def install(app: FastAPI, settings: DashboardSettings | None = None) -> None:
    """Mount the dashboard on the API app: pages, data routes, static assets, the login redirect. `settings`:
    the dashboard's settings, else those the app's services were built with (the environment's)."""
    if settings is not None:
        services_of(app).dashboard = settings
    app.include_router(router)
    app.include_router(symbol_routes.router)
    app.mount("/dashboard/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        return RedirectResponse(login_url(exc.next_path), status_code=303)


__all__ = ["install", "router"]
