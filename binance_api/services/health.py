"""Readiness: the warehouse answers, Redis answers, the data is fresh. `degraded` still serves.

/health/ready is unauthenticated, so its body names a failed dependency (`"failed": ["redis"]`) and no more:
the exception (which may name hosts, paths, users) goes to the server's log, credentials cut out.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from binance_assets.warehouse.load_log import LOAD_LOG
from binance_assets.warehouse.snapshots import Reader

if TYPE_CHECKING:
    import redis as redis_lib

log = logging.getLogger("binance_api.health")
# user:password@ in URLs and password=... in libpq key/value strings.
_CREDENTIALS = re.compile(r"(?P<url>://[^\s:/@]*:)[^\s@]*@|(?P<kv>password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def failure_detail(exc: BaseException) -> str:
    """`Type: message` on one line, with any password in it replaced by ***."""
    text = " ".join(str(exc).split())
    text = _CREDENTIALS.sub(lambda m: f"{m['url']}***@" if m["url"] else f"{m['kv']}***", text)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


FRESHNESS_SQL = (
    f"SELECT symbol, max(last_time) AS last_time, max(loaded_at) AS loaded_at FROM {LOAD_LOG} "
    "GROUP BY symbol ORDER BY symbol"
)


def _warehouse(reader: Reader) -> dict[str, Any]:
    try:
        with reader.session() as session:
            rows = session.query(FRESHNESS_SQL).to_pylist()
            version = session.version
    except Exception as exc:
        log.warning("readiness: the warehouse is unavailable: %s", failure_detail(exc))
        return {"status": "unavailable"}
    return {"status": "ok", "version": version, "symbols": rows}


def _redis(client: redis_lib.Redis | None) -> dict[str, Any]:
    if client is None:
        return {"status": "disabled"}
    try:
        client.ping()
    except Exception as exc:
        log.warning("readiness: Redis is unavailable: %s", failure_detail(exc))
        return {"status": "unavailable"}
    return {"status": "ok"}


async def readiness(
    reader: Reader,
    redis_client: redis_lib.Redis | None,
    rate_limits_degraded: bool,
    stale_after_hours: float,
    run_in_threadpool: Callable[..., Awaitable[Any]],
) -> dict[str, Any]:
    """The body of /health/ready: the warehouse (read in the thread pool), Redis (None: not configured), whether
    the rate limiter fell back to its in-process window, and how old the newest data of each symbol may be."""
    warehouse = await run_in_threadpool(_warehouse, reader)
    redis = await run_in_threadpool(_redis, redis_client)
    checks: dict[str, Any] = {"warehouse": warehouse, "redis": redis,
                              "rate_limits": {"status": "degraded" if rate_limits_degraded else "ok",
                                              "storage": "in-process" if rate_limits_degraded else "redis"}}
    failed = [name for name, check in (("warehouse", warehouse), ("redis", redis)) if check["status"] == "unavailable"]
    status = "ok"
    if warehouse["status"] != "ok":
        status = "unavailable"
    else:
        stale_after = dt.timedelta(hours=stale_after_hours)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        stale = [
            r["symbol"] for r in warehouse["symbols"] if r["last_time"] is None or now - r["last_time"] > stale_after
        ]
        checks["freshness"] = {"status": "stale" if stale else "ok", "stale_symbols": stale,
                               "stale_after_hours": stale_after_hours}
        for row in warehouse["symbols"]:
            for k in ("last_time", "loaded_at"):
                row[k] = row[k].isoformat() if row[k] is not None else None
        if stale or redis["status"] == "unavailable" or rate_limits_degraded:
            status = "degraded"
    return {"status": status, "failed": failed, "checks": checks}
