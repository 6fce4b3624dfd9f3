"""Response cache in Redis for the hot reads (klines, latest predictions), with a small in-process copy.

Keys carry the warehouse version the request reads (`session.version`: the snapshot's stamp on DuckDB,
the publish record on PostgreSQL), so a publish invalidates every cached response at once: the next
request reads the new version and misses. Old keys expire by TTL in Redis and fall out of the per-worker
LRU copy (bounded in bytes; it saves the Redis round trip for the hottest bodies). If Redis fails the
response is computed directly (the cache is an optimisation, never a source of stale data).

The async path (`aresponse`) looks the key up on the event loop (the local copy, then Redis with the
asyncio client) and only a miss goes to the thread pool to run the query.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi.concurrency import run_in_threadpool
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
    """Compact JSON; a body already serialised (bytes) passes through."""
    if isinstance(body, bytes):
        return body
    return json.dumps(body, separators=(",", ":"), default=_default).encode()


def json_response(body: Any) -> Response:
    return Response(content=dumps(body), media_type="application/json")


class LocalLRU:
    """Values by key, least recently used dropped first, at most `max_bytes` of them in all (`sizeof` of a
    value: its length by default, for bodies). A value over a quarter of the budget is not kept."""

    def __init__(self, max_bytes: int, sizeof: Callable[[Any], int] = len) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._sizeof = sizeof
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()  # the sync path runs in pool threads

    def get(self, name: Any) -> Any:
        with self._lock:
            value = self._items.get(name)
            if value is not None:
                self._items.move_to_end(name)
            return value

    def put(self, name: Any, value: Any) -> None:
        size = self._sizeof(value)
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(name, None)
            if old is not None:
                self.size -= self._sizeof(old)
            self._items[name] = value
            self.size += size
            while self.size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self.size -= self._sizeof(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


class ResponseCache:
    def __init__(
        self, redis_client, prefix: str, ttl_seconds: int, *, async_redis: Callable[[], Any] | None = None,
        local_max_bytes: int = 0,
    ) -> None:
        self.redis = redis_client  # a sync redis.Redis (routes run in the thread pool) or None
        # The async path's redis.asyncio client factory: one client per event loop (its connections belong
        # to the loop that opened them; tests serve one app from two loops).
        self._async_factory = async_redis
        self._async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.prefix = prefix
        self.ttl = ttl_seconds
        self.local = LocalLRU(local_max_bytes) if local_max_bytes > 0 else None

    def aredis(self):
        if self._async_factory is None:
            return None
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            client = self._async_clients[loop] = self._async_factory()
        return client

    async def aclose(self) -> None:
        client = self._async_clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    def key(self, version: str, key: tuple) -> str:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        return f"{self.prefix}:cache:{version}:{digest}"

    def _local_hit(self, name: str) -> bytes | None:
        if self.local is None:
            return None
        body = self.local.get(name)
        if body is not None:
            CACHE_REQUESTS.labels("hit").inc()
        return body

    def _remember(self, name: str, body: bytes) -> None:
        if self.local is not None:
            self.local.put(name, body)

    def get_or_compute(self, version: str, key: tuple, compute: Callable[[], Any]) -> bytes:
        if self.redis is None:
            CACHE_REQUESTS.labels("bypass").inc()
            return dumps(compute())
        name = self.key(version, key)
        hit = self._local_hit(name)
        if hit is not None:
            return hit
        try:
            hit = self.redis.get(name)
        except Exception as exc:
            log.warning("cache read failed: %s", type(exc).__name__)
            CACHE_REQUESTS.labels("error").inc()
            return dumps(compute())
        if hit is not None:
            CACHE_REQUESTS.labels("hit").inc()
            self._remember(name, hit)
            return hit
        CACHE_REQUESTS.labels("miss").inc()
        body = dumps(compute())
        try:
            self.redis.set(name, body, ex=self.ttl)
        except Exception as exc:
            log.warning("cache write failed: %s", type(exc).__name__)
        self._remember(name, body)
        return body

    async def aget_or_compute(
        self, version: str, key: tuple, compute: Callable[[], Any], *, shared: bool = True
    ) -> bytes:
        """`get_or_compute` from the event loop: lookups there, `compute` (blocking) in the thread pool.

        `shared=False`: a body cheaper to compute than a Redis round trip (1m klines sliced from the block
        store) is kept in this worker's copy only; Redis is neither asked nor written."""
        if not shared and self.local is not None:
            name = self.key(version, key)
            hit = self._local_hit(name)
            if hit is not None:
                return hit
            CACHE_REQUESTS.labels("miss").inc()
            body = dumps(await run_in_threadpool(compute))
            self._remember(name, body)
            return body
        aredis = self.aredis()
        if aredis is None or self.redis is None:
            return await run_in_threadpool(self.get_or_compute, version, key, compute)
        name = self.key(version, key)
        hit = self._local_hit(name)
        if hit is not None:
            return hit
        try:
            hit = await aredis.get(name)
        except Exception as exc:
            log.warning("cache read failed: %s", type(exc).__name__)
            CACHE_REQUESTS.labels("error").inc()
            return dumps(await run_in_threadpool(compute))
        if hit is not None:
            CACHE_REQUESTS.labels("hit").inc()
            self._remember(name, hit)
            return hit
        CACHE_REQUESTS.labels("miss").inc()
        body = dumps(await run_in_threadpool(compute))
        try:
            await aredis.set(name, body, ex=self.ttl)
        except Exception as exc:
            log.warning("cache write failed: %s", type(exc).__name__)
        self._remember(name, body)
        return body

    def response(self, version: str, key: tuple, compute: Callable[[], Any]) -> Response:
        return Response(content=self.get_or_compute(version, key, compute), media_type="application/json")

    async def aresponse(
        self, version: str, key: tuple, compute: Callable[[], Any], *, shared: bool = True
    ) -> Response:
        body = await self.aget_or_compute(version, key, compute, shared=shared)
        return Response(content=body, media_type="application/json")
