"""`GET /api/v3/exchangeInfo`: the symbol universe with Binance's statuses (TRADING, BREAK once delisted), in
Binance's shape, with Binance's query forms and errors (rest-api.md, "Exchange information"; errors.md):

* `symbol=BNBBTC` or `symbols=["BTCUSDT","BNBBTC"]`: those symbols (-1121 "Invalid symbol." for one the universe
  does not list, -1151 for a symbol named twice, -1100 for a `symbols` that is not a JSON list of strings);
* `permissions=SPOT` or `permissions=["MARGIN","LEVERAGED"]`: the symbols holding one of them (default SPOT,
  MARGIN or LEVERAGED; -1130 for a value that is not a permission of enums.md);
* `symbolStatus=TRADING|HALT|BREAK`: the symbols with that status (-1122 "Invalid symbolStatus." otherwise);
* `showPermissionSets=false`: every `permissionSets` empty (-1130 for a value that is not true or false);
* `symbol` with `symbols`, or either with `permissions` or `symbolStatus`: -1128 "Combination of optional
  parameters invalid." (the WebSocket API's note: only one of symbol, symbols, permissions).

Bodies come from the per-version catalog (binance_api.services.exchange_info): built in the thread pool on the
first request of a warehouse version, then served from the event loop.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from binance_api import schemas
from binance_api.deps import ReadSessionDep, ServicesDep, require_public_market_data
from binance_api.routers.errors import BinanceApiError
from binance_api.routers.market_data import ERRORS
from binance_api.services import exchange_info as xi
from binance_api.services.gzip_splice import accepts_gzip
from binance_assets.binance import rest_shapes as rs

router = APIRouter(
    prefix="/api/v3",
    tags=["market data (Binance-compatible)"],
    dependencies=[Depends(require_public_market_data)],
    responses=ERRORS,
)

SYMBOL_STATUSES = ("TRADING", "HALT", "BREAK")  # the values symbolStatus accepts
ERR_INVALID_SYMBOL_STATUS = -1122
ERR_DUPLICATE_SYMBOLS = -1151
VARY = {"Vary": "Accept-Encoding"}
GZIPPED = {"Content-Encoding": "gzip", **VARY}


class PartsResponse(Response):
    """A JSON body sent as its parts (the per-request head, then the per-version tail as it is kept): no copy
    of a 2 MB tail per request."""

    media_type = "application/json"

    def __init__(self, parts: tuple[bytes, ...], headers: dict[str, str]) -> None:
        super().__init__(b"", headers=headers)
        self.parts = parts
        self.headers["content-length"] = str(sum(len(p) for p in parts))

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        for n, part in enumerate(self.parts, 1):
            await send({"type": "http.response.body", "body": part, "more_body": n < len(self.parts)})


@dataclass(frozen=True)
class InfoQuery:
    names: list[str] | None  # symbol / symbols, in the order asked
    status: str | None
    permissions: frozenset[str]
    show_permission_sets: bool


def _invalid(name: str) -> BinanceApiError:
    return BinanceApiError(rs.ERR_INVALID_PARAMETER, f"Data sent for parameter '{name}' is not valid.")


def _json_strings(name: str, text: str) -> list[str]:
    try:
        parsed = json.loads(text)
    except ValueError:
        raise BinanceApiError(rs.ERR_ILLEGAL_CHARS, f"Illegal characters found in parameter '{name}'.") from None
    if not isinstance(parsed, list) or not all(isinstance(s, str) for s in parsed):
        raise BinanceApiError(rs.ERR_ILLEGAL_CHARS, f"Illegal characters found in parameter '{name}'.")
    if not parsed:
        raise _invalid(name)
    return parsed


def parse_query(
    symbol: str | None, symbols: str | None, permissions: str | None, show: str | None, status: str | None
) -> InfoQuery:
    """The request's filters, or Binance's error for the first thing wrong with them."""
    named = symbol is not None or symbols is not None
    if (symbol is not None and symbols is not None) or (named and (permissions is not None or status is not None)):
        raise BinanceApiError(rs.ERR_OPTIONAL_PARAMS_BAD_COMBO, "Combination of optional parameters invalid.")
    if status is not None and status not in SYMBOL_STATUSES:
        raise BinanceApiError(ERR_INVALID_SYMBOL_STATUS, "Invalid symbolStatus.")
    if show is not None and show.lower() not in ("true", "false"):
        raise _invalid("showPermissionSets")
    wanted = xi.DEFAULT_PERMISSIONS
    if permissions is not None:
        given = _json_strings("permissions", permissions) if permissions.startswith("[") else [permissions]
        if not set(given) <= xi.PERMISSIONS:
            raise _invalid("permissions")
        wanted = frozenset(given)
    names = None
    if symbol is not None:
        names = [symbol]
    elif symbols is not None:
        names = _json_strings("symbols", symbols)
        if len(set(names)) != len(names):
            raise BinanceApiError(ERR_DUPLICATE_SYMBOLS, "Symbol is present multiple times in the list.")
    return InfoQuery(names, status, wanted, show is None or show.lower() == "true")


@router.get("/exchangeInfo", response_model=schemas.ExchangeInfo,
            summary="The symbol universe: trading rules and status per symbol (weight 20).")
async def exchange_info(
    request: Request,
    session: ReadSessionDep,
    services: ServicesDep,
    symbol: str | None = Query(None, description="One symbol.", examples=["BTCUSDT"]),
    symbols: str | None = Query(None, description='A JSON list, e.g. ["BTCUSDT","ETHUSDT"].'),
    permissions: str | None = Query(None, description='SPOT, or a JSON list, e.g. ["MARGIN","LEVERAGED"]; default '
                                    "SPOT, MARGIN or LEVERAGED. Not with symbol or symbols."),
    showPermissionSets: str | None = Query(None, description="true (default) or false: empty permissionSets."),
    symbolStatus: str | None = Query(None, description="TRADING, HALT or BREAK (delisted). Not with symbol or "
                                     "symbols."),
) -> Response:
    query = parse_query(symbol, symbols, permissions, showPermissionSets, symbolStatus)
    cache = services.exchange_info
    catalog = cache.peek(session.version) or await run_in_threadpool(cache.get, session)
    now, limits = int(time.time() * 1000), rs.rate_limits(services.config.api.weight_limit_1m)
    if query.names is not None:  # a few symbols: a small body, joined per request
        for name in query.names:
            if name not in catalog.by_symbol:
                raise BinanceApiError(rs.ERR_INVALID_SYMBOL, "Invalid symbol.")
        array = catalog.named_array(query.names, query.show_permission_sets)
        return Response(xi.body(now, limits, array), media_type="application/json", headers=VARY)
    key = (query.status, query.permissions, query.show_permission_sets)
    if accepts_gzip(request.headers.get("accept-encoding")):
        gzipped = catalog.cached_gzip(key) or await run_in_threadpool(catalog.gzip_tail, key)
        return Response(gzipped.gzip(xi.head(now, limits)), media_type="application/json", headers=GZIPPED)
    tail = catalog.cached_tail(key) or await run_in_threadpool(catalog.tail, key)
    return PartsResponse((xi.head(now, limits), tail), VARY)
