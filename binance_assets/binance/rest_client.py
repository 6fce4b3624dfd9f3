"""A Binance REST client that behaves like a good citizen. No Dagster here.

* Weight: every response's `X-MBX-USED-WEIGHT-1M` is tracked; before a request that would take the
  minute's used weight past `weight_share` of the budget, the client waits for the next minute.
* 429: waits `Retry-After`, then resumes. 418 (IP ban): raises `IpBanned` at once and never retries.
* -1021 (timestamp outside recvWindow): resyncs the clock offset from `/api/v3/time`, retries once.
* 5xx and connection errors: retried with exponential backoff (tenacity), then `ServerError`.
* Any other error: `BinanceApiError` with Binance's code and message.
* Signed requests: `timestamp`, `recvWindow`, `signature` (HMAC-SHA256 or Ed25519), `X-MBX-APIKEY`.
  MARKET_DATA paths (`rest_protocol.API_KEY_PATHS`, e.g. /fapi/v1/historicalTrades): `X-MBX-APIKEY` only.
* Market data of spot (`/api/v3`, the default path of each endpoint) or USD-M futures (`/fapi/v1`: pass the path
  and a client whose `base_url` is fapi.binance.com); the futures items lack the best-match flag.
  The key and secret are never logged, put in an exception or in a URL that is logged.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote, urlencode

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from .rest_errors import BinanceApiError, ClockSkew, RateLimited, ResponseShapeError, ServerError
from .rest_parse import (
    AGG_KEYS,
    C2C_HISTORY_PATH,
    TICKER_KEYS,
    TRADE_KEYS,
    agg_keys,
    error_from_response,
    parse_c2c_page,
    peek,
    rows_of,
    trade_keys,
)
from .rest_protocol import API_KEY_HEADER, API_KEY_PATHS, DEFAULT_WEIGHT, TIME_UNIT_HEADER, WEIGHT_HEADER
from .rest_shapes import REQUEST_WEIGHTS, WEIGHT_LIMIT_1M
from .rest_signing import Signer

__all__ = ["AGG_KEYS", "C2C_HISTORY_PATH", "TRADE_KEYS", "BinanceRestClient", "RestStats", "parse_c2c_page"]

log = logging.getLogger(__name__)
_SIGNATURE = re.compile(r"signature=[^&\s\"]+")


class _RedactSignatures(logging.Filter):
    """urllib3 logs every request line at DEBUG: cut the signature out (it is replayable for recvWindow)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _SIGNATURE.sub("signature=<redacted>", a) if isinstance(a, str) else a for a in record.args
            )
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactSignatures())


@dataclass
class RestStats:
    """What the client spent: requests sent, their request weight, the highest used-weight header seen."""

    requests: int = 0
    weight: int = 0
    max_used_weight: int = 0
    retries: int = 0
    clock_resyncs: int = 0
    waited_seconds: float = 0.0
    by_path: dict[str, int] = field(default_factory=dict)


class BinanceRestClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        signer: Signer | None = None,
        weight_share: float = 0.8,
        weight_limit: int = WEIGHT_LIMIT_1M,
        recv_window_ms: int = 5000,
        max_attempts: int = 5,
        backoff_max_seconds: float = 30.0,
        timeout_seconds: float = 10.0,
        time_unit: str | None = "MICROSECOND",
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 < weight_share <= 1:
            raise ValueError(f"weight_share must be in (0, 1], got {weight_share}")
        if not 0 < recv_window_ms <= 60_000:
            raise ValueError(f"recv_window_ms must be in (0, 60000], got {recv_window_ms}")
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._signer = signer
        self.weight_budget = int(weight_limit * weight_share)
        self.recv_window_ms = recv_window_ms
        self.max_attempts = max_attempts
        self.timeout = timeout_seconds
        self.time_unit = time_unit
        self._session = session or requests.Session()
        self._sleep, self._clock = sleep, clock
        self._backoff = wait_random_exponential(multiplier=0.5, max=backoff_max_seconds)
        self.clock_offset_ms = 0.0
        self._used_weight, self._used_minute = 0, cast(int | None, None)
        self.stats = RestStats()

    def __repr__(self) -> str:  # never the key or the secret
        return f"BinanceRestClient({self.base_url!r}, signed={self._signer is not None})"

    # --- the request path ------------------------------------------------------------------------

    def server_now_ms(self) -> int:
        return int(self._clock() * 1000 + self.clock_offset_ms)

    def request(self, path: str, params: dict[str, Any] | None = None, *, signed: bool = False) -> Any:
        """GET `path` with retries as described in the module docstring; returns the parsed JSON."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        retrying = Retrying(
            retry=retry_if_exception_type((RateLimited, ServerError)),
            wait=self._wait,
            stop=stop_after_attempt(self.max_attempts),
            sleep=self._wait_sleep,
            before_sleep=self._count_retry,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                try:
                    return self._send(path, params, signed)
                except ClockSkew:
                    if not signed:
                        raise
                    self.sync_clock()  # -1021: resync once, then retry once
                    return self._send(path, params, signed)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, retry_state) -> float:
        exc = retry_state.outcome.exception()
        if isinstance(exc, RateLimited):
            return exc.retry_after
        return self._backoff(retry_state)

    def _wait_sleep(self, seconds: float) -> None:
        self.stats.waited_seconds += seconds
        self._sleep(seconds)

    def _count_retry(self, retry_state) -> None:
        self.stats.retries += 1
        exc = retry_state.outcome.exception()
        log.warning("Binance REST retry %d after %s", retry_state.attempt_number, exc)

    def _throttle(self, weight: int) -> None:
        minute = self.server_now_ms() // 60_000
        if minute != self._used_minute:
            self._used_weight, self._used_minute = 0, minute
        if self._used_weight + weight > self.weight_budget:
            wait = (minute + 1) * 60_000 - self.server_now_ms() + 50
            log.info("Binance REST: %d weight used this minute, waiting %.1f s", self._used_weight, wait / 1000)
            self._wait_sleep(max(wait, 0) / 1000)
            self._used_weight, self._used_minute = 0, minute + 1

    def _url(self, path: str, params: dict[str, Any], signed: bool) -> tuple[str, dict[str, str]]:
        headers = {TIME_UNIT_HEADER: self.time_unit} if self.time_unit else {}
        if signed:
            if self._signer is None or not self._api_key:
                raise BinanceApiError(0, None, "signed endpoint needs an API key and a signing key", path)
            params = {**params, "recvWindow": self.recv_window_ms, "timestamp": self.server_now_ms()}
            headers[API_KEY_HEADER] = self._api_key
        elif path in API_KEY_PATHS:
            if not self._api_key:
                raise BinanceApiError(0, None, f"{path} needs an API key (X-MBX-APIKEY; no secret)", path)
            headers[API_KEY_HEADER] = self._api_key
        query = urlencode(params)
        if signed and self._signer is not None:  # checked above
            query += "&signature=" + quote(self._signer.sign(query), safe="")
        return f"{self.base_url}{path}" + (f"?{query}" if query else ""), headers

    def _send(self, path: str, params: dict[str, Any], signed: bool) -> Any:
        weight = REQUEST_WEIGHTS.get(path, DEFAULT_WEIGHT)
        self._throttle(weight)
        url, headers = self._url(path, params, signed)
        self.stats.requests += 1
        self.stats.weight += weight
        self.stats.by_path[path] = self.stats.by_path.get(path, 0) + 1
        try:
            response = self._session.get(url, headers=headers, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ServerError(0, None, f"{type(exc).__name__} talking to {self.base_url}", path) from None
        used = response.headers.get(WEIGHT_HEADER)
        if used is not None and used.isdigit():
            self._used_weight, self._used_minute = int(used), self.server_now_ms() // 60_000
            self.stats.max_used_weight = max(self.stats.max_used_weight, int(used))
        if response.status_code == 200:
            try:
                return response.json()
            except ValueError:
                raise ResponseShapeError(f"{path}: HTTP 200 but the body is not JSON") from None
        raise error_from_response(response, path)

    # --- endpoints -----------------------------------------------------------------------------

    def server_time(self) -> int:
        body = self.request("/api/v3/time")
        if not isinstance(body, dict) or not isinstance(body.get("serverTime"), int):
            raise ResponseShapeError(f"/api/v3/time: expected {{'serverTime': int}}, got {peek(body)}")
        return body["serverTime"]

    def sync_clock(self) -> float:
        """Offset (ms) of Binance's clock from ours, measured at the round trip's midpoint."""
        before = self._clock()
        server = self.server_time()
        after = self._clock()
        self.clock_offset_ms = server - (before + after) / 2 * 1000
        self.stats.clock_resyncs += 1
        return self.clock_offset_ms

    def exchange_info(self, symbols: list[str] | None = None) -> dict:
        params = {"symbols": "[" + ",".join(f'"{s}"' for s in symbols) + "]"} if symbols else None
        body = self.request("/api/v3/exchangeInfo", params)
        if not isinstance(body, dict) or not isinstance(body.get("symbols"), list):
            raise ResponseShapeError(f"/api/v3/exchangeInfo: expected an object with 'symbols', got {peek(body)}")
        return body

    def um_exchange_info(self) -> dict:
        """USD-M futures' `/fapi/v1/exchangeInfo` (weight 1), on a client of fapi.binance.com (or the simulator)."""
        body = self.request("/fapi/v1/exchangeInfo")
        if not isinstance(body, dict) or not isinstance(body.get("symbols"), list):
            raise ResponseShapeError(f"/fapi/v1/exchangeInfo: expected an object with 'symbols', got {peek(body)}")
        return body

    def agg_trades(
        self, symbol: str, *, from_id=None, start_time=None, end_time=None, limit: int = 1000,
        path: str = "/api/v3/aggTrades",
    ) -> list[dict]:  # fmt: skip
        body = self.request(
            path, {"symbol": symbol, "fromId": from_id, "startTime": start_time, "endTime": end_time, "limit": limit}
        )
        return rows_of(body, agg_keys(path), path)

    def historical_trades(
        self, symbol: str, *, from_id: int | None = None, limit: int = 1000, path: str = "/api/v3/historicalTrades"
    ) -> list[dict]:
        body = self.request(path, {"symbol": symbol, "fromId": from_id, "limit": limit})
        return rows_of(body, trade_keys(path), path)

    def klines(
        self, symbol: str, interval: str, *, start_time=None, end_time=None, limit: int = 1000,
        path: str = "/api/v3/klines",
    ) -> list[list]:  # fmt: skip
        body = self.request(
            path, {"symbol": symbol, "interval": interval, "startTime": start_time, "endTime": end_time, "limit": limit}
        )
        if not isinstance(body, list) or any(not isinstance(r, list) or len(r) != 12 for r in body):
            raise ResponseShapeError(f"{path}: expected a list of 12-element arrays, got {peek(body)}")
        return body

    def ticker_24hr_mini(self) -> list[dict]:
        """`/api/v3/ticker/24hr?type=MINI` of every symbol (weight 80): rolling 24 h volume, quote volume, count."""
        body = self.request("/api/v3/ticker/24hr", {"type": "MINI"})
        return rows_of(body, TICKER_KEYS, "/api/v3/ticker/24hr")

    def c2c_order_history(
        self, trade_type: str, start_ms: int, end_ms: int, *, page: int = 1, rows: int = 100
    ) -> tuple[list[dict], int | None]:
        """One page of the merchant's C2C orders; accepts the wrapped and the bare-list response shapes."""
        if trade_type not in ("BUY", "SELL"):
            raise ValueError(f"trade_type must be BUY or SELL, got {trade_type!r}")
        if not 1 <= rows <= 100:
            raise ValueError(f"rows must be 1..100, got {rows}")
        body = self.request(
            C2C_HISTORY_PATH,
            {"tradeType": trade_type, "startTimestamp": start_ms, "endTimestamp": end_ms, "page": page, "rows": rows},
            signed=True,
        )
        return parse_c2c_page(body)
