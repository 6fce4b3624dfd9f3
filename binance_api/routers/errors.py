"""Errors as each API family spells them: Binance's {"code","msg"} under /api/v3, {"error","reason"} elsewhere."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from binance_api.core.security import AuthError
from binance_api.services.data_service import BadCursor
from binance_assets.binance import rest_shapes as rs
from binance_assets.warehouse.snapshots import WarehouseUnavailable


class BinanceApiError(Exception):
    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status


def is_binance_path(request: Request) -> bool:
    return request.url.path.startswith("/api/v3")


def binance_response(status: int, code: int, msg: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(rs.error_body(code, msg), status_code=status, headers=headers)


def api_response(status: int, error: str, reason: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "reason": reason}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(BinanceApiError)
    async def _binance(request: Request, exc: BinanceApiError):
        return binance_response(exc.status, exc.code, exc.msg)

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError):
        headers = {"WWW-Authenticate": f'Bearer error="{exc.error}"'} if exc.status == 401 else None
        if is_binance_path(request):
            return binance_response(exc.status, rs.ERR_BAD_API_KEY, f"Invalid API-key, IP, or permissions for action: "
                                    f"{exc.reason}.", headers)
        return api_response(exc.status, exc.error, exc.reason, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body", "header")]
        name = loc[0] if loc else "?"
        if is_binance_path(request):
            if first.get("type") == "missing":
                return binance_response(
                    400, rs.ERR_MANDATORY_PARAM,
                    f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
                )
            return binance_response(
                400, rs.ERR_ILLEGAL_CHARS, f"Illegal characters found in parameter '{name}'; legal range is "
                "'^[0-9]{1,20}$'." if first.get("type", "").startswith("int") else
                f"Illegal characters found in parameter '{name}'.",
            )
        return api_response(422, "invalid_parameter", f"{'.'.join(loc) or 'request'}: {first.get('msg', 'invalid')}")

    @app.exception_handler(BadCursor)
    async def _cursor(request: Request, exc: BadCursor):
        return api_response(400, "invalid_cursor", str(exc))

    @app.exception_handler(WarehouseUnavailable)
    async def _unavailable(request: Request, exc: WarehouseUnavailable):
        if is_binance_path(request):
            return binance_response(503, rs.ERR_UNKNOWN, "Service unavailable: no published data yet.",
                                    {"Retry-After": "5"})
        return api_response(503, "warehouse_unavailable", str(exc), {"Retry-After": "5"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if is_binance_path(request):
            return binance_response(exc.status_code, rs.ERR_UNKNOWN, str(exc.detail))
        return api_response(exc.status_code, "http_error", str(exc.detail))
