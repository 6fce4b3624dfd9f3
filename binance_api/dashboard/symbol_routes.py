"""/dashboard's paged data: the Market page's symbol list and the Data health heat maps, filtered (text, quote
asset, status), sorted (volume, problems, name) and paged on the server (binance_api.dashboard.symbols), so a
universe of 2,000 symbols sends and draws one page at a time."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends

from binance_api.dashboard import health, health_grid, market, views
from binance_api.dashboard.common import bad, due_hours, parse_day, read, store
from binance_api.dashboard.dagster_storage import CheckStorageError
from binance_api.dashboard.session import DataPrincipal
from binance_api.dashboard.symbols import BadQuery, SymbolQuery, facets, filters_dict, listing_dict, parse_query, select
from binance_api.deps import ServicesDep
from binance_api.state import Services
from binance_assets.warehouse.snapshots import ReadSession

router = APIRouter(prefix="/dashboard", include_in_schema=False)
MAX_HEALTH_DAYS = 92
HEALTH_PAGE_SIZE = 25  # symbols per heat-map page: 9 tables x 25 rows x 31 days stay readable and draw fast
MARKET_PAGE_SIZE = 25


class SymbolParams:
    """The symbol filters of a data route, as sent (parsed by `symbols.parse_query`, which says what is wrong)."""

    def __init__(self, q: str | None = None, quote: str | None = None, status: str | None = None,
                 sort: str | None = None, page: str | None = None, page_size: str | None = None) -> None:
        self.args = (q, quote, status, sort, page, page_size)

    def parse(self, default_sort: str, default_size: int) -> SymbolQuery:
        return parse_query(*self.args, default_sort=default_sort, default_size=default_size)


@router.get("/data/symbols")
def symbols_data(principal: DataPrincipal, services: ServicesDep, params: SymbolParams = Depends()):
    """The Market page's symbol list: the universe filtered, sorted (by volume unless asked) and paged."""
    try:
        query = params.parse("volume", MARKET_PAGE_SIZE)
    except BadQuery as exc:
        return bad(str(exc))
    with read(services) as session:
        shown, held = views.listings(services, session), set(services.exchange_info.get(session).held)
        um = market.futures_listings(session)  # the USD-M perpetuals, after the spot universe
    shown, held = shown + um, held | {x.symbol for x in um}
    page = select(shown, query)
    return {"symbols": [{**listing_dict(x), "data": x.symbol in held} for x in page.listings],
            "page": page.describe(query), "filters": filters_dict(query), "facets": facets(shown),
            "with_data": _top_with_data(shown, held)}


def _top_with_data(shown, held, n: int = 2) -> list[str]:
    """The `n` symbols with data of the highest volume: the charts a first visit shows."""
    return [x.symbol for x in select([x for x in shown if x.symbol in held], SymbolQuery(page_size=n)).listings]


@router.get("/data/health")
def health_data(
    principal: DataPrincipal,
    services: ServicesDep,
    start: str | None = None,
    end: str | None = None,
    params: SymbolParams = Depends(),
):
    with read(services) as session:
        return _health_data(services, session, start, end, params)


def _health_data(services: Services, session: ReadSession, start: str | None, end: str | None, params: SymbolParams):
    try:
        query = params.parse("problems", HEALTH_PAGE_SIZE)
        lo, hi = views.loaded_range(services, session)
        start_arg = parse_day(start, "start")
        end_day = parse_day(end, "end") or hi
        if end_day is None:
            return {"days": [], "symbols": [], "tables": [], "freshness": [], "failing_checks": [],
                    "statuses": list(health.STATUSES), "page": select([], query).describe(query),
                    "filters": filters_dict(query), "facets": facets([])}
        start_day = start_arg or (max(lo, end_day - dt.timedelta(days=30)) if lo else end_day)
        if end_day < start_day or (end_day - start_day).days + 1 > MAX_HEALTH_DAYS:
            raise ValueError(f"the range must be 1 to {MAX_HEALTH_DAYS} days, got {start_day} .. {end_day}")
    except ValueError as exc:
        return bad(str(exc))
    checks, due = store(services), due_hours(services)
    try:
        grid = views.grid(services, session, start_day, end_day, due)
        cells = health_grid.masks(grid, checks.latest(), checks.archive_versions())
        failing = health.failing_checks(checks)
    except CheckStorageError as exc:
        return bad(str(exc), 503)
    shown = views.health_listings(services, session)
    problems = health_grid.problems(grid, cells)
    page = select(shown, query, problems)
    symbols = [x.symbol for x in page.listings]
    now = dt.datetime.now(dt.UTC)
    return {"days": [d.isoformat() for d in grid.days], "symbols": symbols,
            "tables": health_grid.page_tables(grid, cells, symbols), "statuses": list(health.STATUSES),
            "listings": [{**listing_dict(x), "problems": problems.get(x.symbol, 0)} for x in page.listings],
            "page": page.describe(query), "filters": filters_dict(query), "facets": facets(shown),
            "freshness": health.freshness(views.freshness_facts(services, session), now, due),
            "failing_checks": failing, "checks_source": "dagster" if checks.configured else None,
            "generated_at": now.isoformat()}
