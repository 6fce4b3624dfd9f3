"""One JSON log line per request with a request id (also returned in `X-Request-Id`), never a secret.

The line holds method, path, status, duration, client address, the request id and the token's
subject when the route authenticated one; never headers, query strings or tokens.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

log = logging.getLogger("binance_api.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def configure_logging(level: str = "INFO") -> None:
    if getattr(log, "_bmp_configured", False):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False
    log._bmp_configured = True  # type: ignore[attr-defined]  # a marker on our own logger


class RequestLogMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            principal = scope.get("state", {}).get("principal")
            client = scope.get("client") or ("", 0)
            log.info(json.dumps({
                "event": "request",
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "client": client[0],
                "subject": getattr(principal, "subject", None),
            }))
