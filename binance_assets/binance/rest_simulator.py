"""A Binance REST simulator: a real HTTP server on loopback (stdlib `ThreadingHTTPServer`).

It serves `/api/v3/{ping,time,exchangeInfo,klines (1m, 1d),aggTrades,historicalTrades,ticker/24hr (MINI)}`
and USD-M futures' `/fapi/v1/{exchangeInfo,klines (1m),aggTrades,trades,historicalTrades}` (`fapi_shapes`; the
last one needs an API key, of `market_data_keys` or a merchant's, as Binance's does) from the same simulated days
as the archive mirror (`SimMarket`) and a simulated merchant's
`/sapi/v1/c2c/orderMatch/listUserOrderHistory` (signed: the API key, the HMAC or Ed25519 signature
and the timestamp's recvWindow are checked as Binance does). It counts request weight per minute
(`X-MBX-USED-WEIGHT-1M`), answers 429 past the limit and 418 (a ban) to a client that keeps going,
and injects faults on demand (`inject`): a 429 burst, a 418, 5xx, a changed response shape, wrong rows
in a right shape (an id twice, a row a day early); and a skewed server clock (`clock_skew_ms`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from . import fapi_shapes
from . import rest_protocol as protocol
from . import rest_shapes as shapes
from .c2c_sim import SimMerchant
from .rest_signing import Verifier
from .rest_sim_fapi import fapi_route
from .rest_sim_faults import (
    FAULT_KINDS,
    ROW_FAULTS,
    Fault,
    SimError,
    changed_shape,
    fault_error,
    faulty_rows,
    limit_param,
    opt_int,
)
from .rest_sim_market import SimMarket, to_us

C2C_PATH = "/sapi/v1/c2c/orderMatch/listUserOrderHistory"
MAX_C2C_WINDOW_MS = 30 * 86_400_000
C2C_LOOKBACK_MS = 180 * 86_400_000  # "the last 6 months"


@dataclass
class MerchantAccount:
    verifier: Verifier
    merchant: SimMerchant


@dataclass
class RequestRecord:
    path: str
    status: int
    weight: int


@dataclass
class RestSimulator:
    market: SimMarket
    accounts: dict[str, MerchantAccount] = field(default_factory=dict)
    weight_limit: int = shapes.WEIGHT_LIMIT_1M
    ban_seconds: int = 120
    c2c_shape: str = "wrapped"  # or "bare": both shapes Binance has served
    clock: Callable[[], float] = time.time
    clock_skew_ms: int = 0
    market_data_keys: frozenset[str] = frozenset()  # API keys the MARKET_DATA paths accept (besides merchants')

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._used: dict[int, int] = {}
        self._warned_minute: int | None = None
        self._banned_until_ms = 0
        self.requests: list[RequestRecord] = []
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> str:
        """Listen on 127.0.0.1 on a port the OS picks; returns the base URL."""
        handler = type("Handler", (_Handler,), {"sim": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="binance-rest-sim", daemon=True).start()
        return self.base_url

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> RestSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- control ---------------------------------------------------------------------------------

    def inject(self, kind: str, times: int = 1, *, path: str | None = None, status: int = 503, retry_after: int = 1):
        """The next `times` requests (to `path`, or any) get the fault instead of their answer."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(Fault(kind, times, path, status, retry_after))

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self._used.clear()
            self._banned_until_ms = 0
            self._warned_minute = None
            self.requests.clear()

    def now_ms(self) -> int:
        return int(self.clock() * 1000) + self.clock_skew_ms

    def weight_used(self) -> int:
        return sum(r.weight for r in self.requests)

    # --- request handling ----------------------------------------------------------------------

    def handle(self, path: str, query: str, headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        weight = shapes.REQUEST_WEIGHTS.get(path, protocol.DEFAULT_WEIGHT)
        now = self.now_ms()
        minute = now // 60_000
        extra: dict[str, str] = {}
        with self._lock:
            self._used[minute] = used = self._used.get(minute, 0) + weight
            fault = self._take_fault(path)
        extra[protocol.WEIGHT_HEADER] = str(used)
        try:
            self._police(now, minute, used)
            if fault is not None and fault.kind != "shape" and fault.kind not in ROW_FAULTS:
                raise fault_error(fault)
            body = self._route(path, dict(parse_qsl(query, keep_blank_values=True)), query, headers, now)
            if fault is not None:
                body = changed_shape(body) if fault.kind == "shape" else faulty_rows(fault.kind, body)
            status = 200
        except SimError as exc:
            status, body = exc.status, shapes.error_body(exc.code, exc.msg)
            if exc.retry_after is not None:
                extra["Retry-After"] = str(exc.retry_after)
        with self._lock:
            self.requests.append(RequestRecord(path, status, weight))
        return status, body, extra

    def _take_fault(self, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.path in (None, path):
                fault.remaining -= 1
                return fault
        return None

    def _police(self, now: int, minute: int, used: int) -> None:
        if now < self._banned_until_ms:
            raise SimError(418, -1003, "Way too many requests; IP banned.", -(-(self._banned_until_ms - now) // 1000))
        if used > self.weight_limit:
            wait = -(-((minute + 1) * 60_000 - now) // 1000)
            if self._warned_minute == minute:  # the client ignored the 429: ban it
                self._banned_until_ms = now + self.ban_seconds * 1000
                raise SimError(418, -1003, "Way too many requests; IP banned.", self.ban_seconds)
            self._warned_minute = minute
            raise SimError(429, -1003, f"Too much request weight used; current limit is {self.weight_limit}.", wait)

    def _route(self, path: str, params: dict[str, str], query: str, headers: dict[str, str], now: int) -> Any:
        micros = headers.get(protocol.TIME_UNIT_HEADER.lower(), "").upper() == "MICROSECOND"
        if path == "/api/v3/ping":
            return {}
        if path == "/api/v3/time":
            return {"serverTime": now}
        if path == "/api/v3/exchangeInfo":
            return self.market.exchange_info(now, self.weight_limit)
        if path == "/api/v3/ticker/24hr":
            if params.get("type") != "MINI":
                raise SimError(400, -1130, "Invalid data sent for a parameter (the simulator serves type=MINI).")
            tickers = self.market.ticker_24hr(micros)
            if "symbol" in params:
                symbol = self._symbol(params)
                return next(t for t in tickers if t["symbol"] == symbol)
            return tickers
        if path == "/api/v3/aggTrades":
            symbol, limit = self._symbol(params), limit_param(params)
            start, end = opt_int(params, "startTime"), opt_int(params, "endTime")
            start, end = (to_us(start) if start is not None else None), (to_us(end) if end is not None else None)
            # Binance's spot rules since 2022-12-05: no one-hour limit on the window; fromId goes alone.
            if opt_int(params, "fromId") is not None and (start is not None or end is not None):
                raise SimError(400, -1128, "Combination of optional parameters invalid.")
            return self.market.agg_trades(symbol, opt_int(params, "fromId"), start, end, limit, micros)
        if path in ("/api/v3/historicalTrades", "/api/v3/trades"):
            symbol, limit = self._symbol(params), limit_param(params)
            from_id = opt_int(params, "fromId") if path.endswith("historicalTrades") else None
            return self.market.trades(symbol, from_id, limit, micros)
        if path == "/api/v3/klines":
            symbol, limit = self._symbol(params), limit_param(params)
            interval = params.get("interval")
            if interval not in ("1m", "1d"):
                raise SimError(400, -1120, "Invalid interval (the simulator serves 1m and 1d).")
            start, end = opt_int(params, "startTime"), opt_int(params, "endTime")
            return (self.market.klines_1m if interval == "1m" else self.market.klines_1d)(
                symbol,
                to_us(start) if start is not None else None,
                to_us(end) if end is not None else None,
                limit,
                micros,
            )
        if path in protocol.API_KEY_PATHS:
            self._market_data_key(headers)
        if path.startswith("/fapi/v1/"):
            if path != fapi_shapes.EXCHANGE_INFO:
                self._symbol(params, self.market.um_symbols)
            return fapi_route(self.market, path, params, now)
        if path == C2C_PATH:
            account = self._authenticate(query, headers, now)
            return self._c2c(account, params, now)
        raise SimError(404, -1000, f"Unknown path {path}")

    def _symbol(self, params: dict[str, str], listed: tuple[str, ...] | None = None) -> str:
        symbol = params.get("symbol", "")
        if not symbol:
            raise SimError(400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
        if symbol not in (self.market.symbols if listed is None else listed):
            raise SimError(400, protocol.INVALID_SYMBOL, "Invalid symbol.")
        return symbol

    def _market_data_key(self, headers: dict[str, str]) -> None:
        key = headers.get(protocol.API_KEY_HEADER.lower(), "")
        if not key:
            raise SimError(401, protocol.API_KEY_FORMAT, "API-key format invalid.")
        if key not in self.market_data_keys and key not in self.accounts:
            raise SimError(401, protocol.INVALID_API_KEY, "Invalid API-key, IP, or permissions for action.")

    def _authenticate(self, query: str, headers: dict[str, str], now: int) -> MerchantAccount:
        account = self.accounts.get(headers.get(protocol.API_KEY_HEADER.lower(), ""))
        if account is None:
            raise SimError(401, protocol.INVALID_API_KEY, "Invalid API-key, IP, or permissions for action.")
        payload, sep, signature = query.rpartition("&signature=")
        if not sep or not signature:
            raise SimError(400, protocol.MANDATORY_PARAM_MISSING, "Mandatory parameter 'signature' was not sent.")
        if not account.verifier.verify(payload, unquote(signature)):
            raise SimError(400, protocol.INVALID_SIGNATURE, "Signature for this request is not valid.")
        params = dict(parse_qsl(payload))
        timestamp = opt_int(params, "timestamp")
        window = opt_int(params, "recvWindow") or 5000
        if timestamp is None:
            raise SimError(400, protocol.MANDATORY_PARAM_MISSING, "Mandatory parameter 'timestamp' was not sent.")
        if not 0 < window <= 60_000:
            raise SimError(400, -1131, "recvWindow must be less than 60000")
        if timestamp >= now + 1000 or now - timestamp > window:
            raise SimError(
                400, protocol.TIMESTAMP_OUTSIDE_RECV_WINDOW, "Timestamp for this request is outside of the recvWindow."
            )
        return account

    def _c2c(self, account: MerchantAccount, params: dict[str, str], now: int) -> Any:
        trade_type = params.get("tradeType")
        if trade_type not in ("BUY", "SELL"):
            raise SimError(400, -1102, "Mandatory parameter 'tradeType' was not sent, was empty/null, or malformed.")
        rows, page = opt_int(params, "rows") or 100, opt_int(params, "page") or 1
        if not 1 <= rows <= 100 or page < 1:
            raise SimError(400, -1130, "Data sent for parameter 'rows' or 'page' is not valid.")
        end = opt_int(params, "endTimestamp") or now
        start = opt_int(params, "startTimestamp") or end - MAX_C2C_WINDOW_MS
        if end - start > MAX_C2C_WINDOW_MS or end < start:
            raise SimError(400, -1127, "More than 30 days between startTimestamp and endTimestamp.")
        if start < now - C2C_LOOKBACK_MS:
            raise SimError(400, -1127, "Only the last 6 months of order history can be queried.")
        orders = account.merchant.history(trade_type, start, end, now)
        data = orders[(page - 1) * rows : page * rows]
        if self.c2c_shape == "bare":
            return data
        return {"code": "000000", "message": "success", "data": data, "total": len(orders), "success": True}


class _Handler(BaseHTTPRequestHandler):
    sim: RestSimulator
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, body, extra = self.sim.handle(parts.path, parts.query, headers)
        payload = shapes.json_body(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass
