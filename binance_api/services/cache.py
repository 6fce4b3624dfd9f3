"""Response cache in Redis for the hot reads (klines, latest predictions).

Keys carry the warehouse version the request reads (`session.version`: the snapshot's stamp on DuckDB,
the publish record on PostgreSQL), so a publish invalidates every cached response at once: the next
request reads the new version and misses. Old keys expire by TTL. If Redis fails the response is
computed directly (the cache is an optimisation, never a source of stale data).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi.responses import Response
from prometheus_client import Counter

log = logging.getLogger("binance_api.cache")

CACHE_REQUESTS = Counter("binance_api_cache_requests", "Response cache lookups", ["result"])


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):  # naive values are UTC (the warehouse's convention)
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=_default).encode()


def json_response(body: Any) -> Response:
    return Response(content=dumps(body), media_type="application/json")


class ResponseCache:
    def __init__(self, redis_client, prefix: str, ttl_seconds: int) -> None:
        self.redis = redis_client  # a sync redis.Redis (routes run in the thread pool) or None
        self.prefix = prefix
        self.ttl = ttl_seconds

    def key(self, version: str, key: tuple) -> str:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        return f"{self.prefix}:cache:{version}:{digest}"

    def get_or_compute(self, version: str, key: tuple, compute: Callable[[], Any]) -> bytes:
        if self.redis is None:
            CACHE_REQUESTS.labels("bypass").inc()
            return dumps(compute())
        name = self.key(version, key)
        try:
            hit = self.redis.get(name)
        except Exception as exc:
            log.warning("cache read failed: %s", type(exc).__name__)
            CACHE_REQUESTS.labels("error").inc()
            return dumps(compute())
        if hit is not None:
            CACHE_REQUESTS.labels("hit").inc()
            return hit
        CACHE_REQUESTS.labels("miss").inc()
        body = dumps(compute())
        try:
            self.redis.set(name, body, ex=self.ttl)
        except Exception as exc:
            log.warning("cache write failed: %s", type(exc).__name__)
        return body

    def response(self, version: str, key: tuple, compute: Callable[[], Any]) -> Response:
        return Response(content=self.get_or_compute(version, key, compute), media_type="application/json")
