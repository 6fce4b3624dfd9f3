"""`binance-assets smoke`: the post-deploy smoke test of the serving API (deploy.yml and the Jenkinsfile).

In order: `/health/ready` (200, status ok or degraded: 503 means the warehouse or Redis is unreachable),
`/api/v3/ping` (`{}`), `/api/v3/exchangeInfo` (at least one symbol: the warehouse holds data),
`/api/v3/klines` for a symbol from exchangeInfo (or the one given): a non-empty list of Binance klines.
Each request is retried a few times (a service that just became stable may still be warming up); the
first step that still fails ends the test with a one-line reason naming the URL and what was wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

KLINE_FIELDS = 12


class SmokeFailure(Exception):
    """A step of the smoke test failed; the message says which and why."""


@dataclass(frozen=True)
class SmokeStep:
    name: str
    detail: str


def _get(client: httpx.Client, path: str, params: dict[str, Any] | None, attempts: int, wait: float,
         accept: tuple[int, ...] = (200,)) -> httpx.Response:
    last = ""
    for attempt in range(1, attempts + 1):
        try:
            response = client.get(path, params=params)
            if response.status_code in accept:
                return response
            last = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        if attempt < attempts:
            time.sleep(wait)
    raise SmokeFailure(f"GET {client.base_url}{path.lstrip('/')} failed after {attempts} attempt(s): {last}")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise SmokeFailure(f"GET {response.request.url} did not answer JSON: {response.text[:200]!r}") from None


def run_smoke(
    base_url: str,
    *,
    token: str | None = None,
    symbol: str | None = None,
    attempts: int = 3,
    wait_seconds: float = 2.0,
    timeout: float = 10.0,
    echo: Callable[[str], None] = print,
) -> list[SmokeStep]:
    """Run every step against `base_url`; raises SmokeFailure at the first failing one."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    steps = []
    with httpx.Client(base_url=base_url.rstrip("/") + "/", headers=headers, timeout=timeout) as client:
        ready = _json(_get(client, "health/ready", None, attempts, wait_seconds))
        if ready.get("status") not in ("ok", "degraded"):
            raise SmokeFailure(f"/health/ready says {ready.get('status')!r}: {ready}")
        steps.append(SmokeStep("health/ready", str(ready.get("status"))))
        ping = _json(_get(client, "api/v3/ping", None, attempts, wait_seconds))
        if ping != {}:
            raise SmokeFailure(f"/api/v3/ping answered {ping!r}, expected {{}}")
        steps.append(SmokeStep("api/v3/ping", "{}"))
        info = _json(_get(client, "api/v3/exchangeInfo", None, attempts, wait_seconds))
        symbols = [s.get("symbol") for s in info.get("symbols", []) if isinstance(s, dict)]
        if not symbols:
            raise SmokeFailure("/api/v3/exchangeInfo lists no symbol: the warehouse holds no market data")
        steps.append(SmokeStep("api/v3/exchangeInfo", f"{len(symbols)} symbol(s)"))
        chosen = symbol.upper() if symbol else symbols[0]
        if chosen not in symbols:
            raise SmokeFailure(f"{chosen} is not in /api/v3/exchangeInfo ({', '.join(symbols[:10])})")
        klines = _json(_get(client, "api/v3/klines", {"symbol": chosen, "interval": "1m", "limit": 5},
                            attempts, wait_seconds))
        if not isinstance(klines, list) or not klines or any(len(k) != KLINE_FIELDS for k in klines):
            raise SmokeFailure(f"/api/v3/klines for {chosen} is not a non-empty list of klines: {str(klines)[:200]}")
        steps.append(SmokeStep("api/v3/klines", f"{len(klines)} klines of {chosen}"))
    for step in steps:
        echo(f"ok   {step.name}: {step.detail}")
    return steps
