"""Weighted rate limits shared by all workers (Redis via `limits`' async storage), Binance-style.

Every request costs its Binance request weight (`REQUEST_WEIGHTS`; 1 for paths Binance does not
have) against a budget of `weight_limit_1m` per fixed minute, keyed by the token's subject (when the
token verifies; in the thread pool when verifying may fetch keys, as Cognito's JWKS does) or else the
client address. Every response carries `X-MBX-USED-WEIGHT-1M`; past the budget the answer is 429 with
`Retry-After` (seconds to the next window) and Binance's -1003 body on /api/v3. If Redis fails the
limiter falls back to an in-process window (per worker) and `degraded` is set, which /health/ready
reports; Redis is retried every `retry_seconds`.
"""

from __future__ import annotations

import json
import logging
import math
import time

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import FixedWindowRateLimiter
from prometheus_client import Counter
from starlette.concurrency import run_in_threadpool

from binance_api.core.security import TokenVerifier
from binance_assets.binance import rest_shapes as rs

log = logging.getLogger("binance_api.rate_limit")
REJECTIONS = Counter("binance_api_rate_limit_rejections", "Requests refused with 429", ["family"])
EXEMPT_PREFIXES = ("/health", "/metrics", "/docs", "/openapi.json", "/redoc")


def request_weight(path: str) -> int:
    return rs.REQUEST_WEIGHTS.get(path, 1)


class WeightLimiter:
    def __init__(self, redis_url: str | None, prefix: str, weight_limit_1m: int, retry_seconds: float = 10.0) -> None:
        self.item = RateLimitItemPerMinute(weight_limit_1m)
        self.redis_url = redis_url
        self.prefix = prefix
        self.retry_seconds = retry_seconds
        self.memory = FixedWindowRateLimiter(MemoryStorage())
        self.redis = None
        if redis_url:
            storage = RedisStorage(
                "async+" + redis_url, implementation="redispy", key_prefix=f"{prefix}:limits",
                socket_connect_timeout=0.5, socket_timeout=0.5,
            )
            self.redis = FixedWindowRateLimiter(storage)
        self.degraded_since: float | None = None if redis_url else time.time()

    @property
    def degraded(self) -> bool:
        return self.degraded_since is not None

    def _limiter(self) -> FixedWindowRateLimiter:
        if self.redis is None:
            return self.memory
        if self.degraded_since is not None and time.time() - self.degraded_since < self.retry_seconds:
            return self.memory
        return self.redis

    async def spend(self, key: str, weight: int) -> tuple[bool, int, int]:
        """(allowed, used weight in this minute, seconds until the window resets; 0 when allowed).

        A fixed window as `FixedWindowRateLimiter.hit` keeps it, in ONE storage round trip (its
        `incr` returns the window's count); the reset time is read only for a refusal."""
        limiter = self._limiter()
        name = self.item.key_for(key)
        try:
            used = await limiter.storage.incr(name, self.item.get_expiry(), amount=weight)
            retry = 0
            if used > self.item.amount:
                retry = max(1, math.ceil(await limiter.storage.get_expiry(name) - time.time()))
        except Exception as exc:
            if limiter is self.memory:
                raise
            if self.degraded_since is None:
                log.warning("rate-limit storage failed (%s); using the in-process limiter", type(exc).__name__)
            self.degraded_since = time.time()
            return await self.spend(key, weight)
        if limiter is self.redis and self.degraded_since is not None:
            log.warning("rate-limit storage is back")
            self.degraded_since = None
        return used <= self.item.amount, used, retry


class RateLimitMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware overhead)."""

    def __init__(self, app, limiter: WeightLimiter, verifier: TokenVerifier) -> None:
        self.app, self.limiter, self.verifier = app, limiter, verifier

    async def _key(self, scope) -> str:
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization")
        kind, _, token = auth.decode("latin-1").partition(" ") if auth else ("", "", "")
        if kind.lower() == "bearer" and token.strip():
            try:
                if self.verifier.blocking:
                    # May fetch the JWKS over HTTP (Cognito): in the thread pool, never on the event loop,
                    # which every other request of this worker needs meanwhile.
                    principal = await run_in_threadpool(self.verifier.verify, token.strip())
                else:  # CPU only (HS256): no thread hop
                    principal = self.verifier.verify(token.strip())
                return "sub:" + principal.subject
            except Exception:  # nosec B110 # an unverifiable token is limited by client address below
                pass
        client = scope.get("client") or ("unknown", 0)
        return f"ip:{client[0]}"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            return await self.app(scope, receive, send)
        path = scope["path"]
        weight = request_weight(path)
        allowed, used, retry = await self.limiter.spend(await self._key(scope), weight)
        used_header = (b"x-mbx-used-weight-1m", str(used).encode())
        if not allowed:
            binance = path.startswith("/api/v3")
            REJECTIONS.labels("api_v3" if binance else "api_v1").inc()
            limit = self.limiter.item.amount
            if binance:
                body = rs.error_body(
                    rs.ERR_TOO_MANY_REQUESTS,
                    f"Too much request weight used; current limit is {limit} request weight per 1 MINUTE. "
                    "Please use WebSocket Streams for live updates to avoid polling the API.",
                )
            else:
                body = {"error": "rate_limited", "reason": f"over {limit} request weight per minute"}
            payload = json.dumps(body).encode()
            await send({
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"retry-after", str(retry).encode()),
                    used_header,
                ],
            })
            await send({"type": "http.response.body", "body": payload})
            return

        async def send_with_weight(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], used_header]
            await send(message)

        await self.app(scope, receive, send_with_weight)
