"""Errors of the Binance REST layer; each carries Binance's own code and message where there is one."""

from __future__ import annotations


class BinanceRestError(Exception):
    """Base class of every REST failure the client gives up on."""


class BinanceApiError(BinanceRestError):
    """Binance answered with an error body `{"code": ..., "msg": ...}` (or a non-JSON error)."""

    def __init__(self, status: int, code: int | None, msg: str, path: str) -> None:
        self.status, self.code, self.msg, self.path = status, code, msg, path
        super().__init__(f"{path}: HTTP {status}, Binance code {code}: {msg}")


class RateLimited(BinanceApiError):
    """HTTP 429: the weight or order budget is spent; wait `retry_after` seconds, then resume."""

    def __init__(self, status: int, code: int | None, msg: str, path: str, retry_after: float) -> None:
        super().__init__(status, code, msg, path)
        self.retry_after = retry_after


class IpBanned(BinanceApiError):
    """HTTP 418: the IP is banned for `retry_after` seconds. Stop: retrying only extends the ban."""

    def __init__(self, status: int, code: int | None, msg: str, path: str, retry_after: float) -> None:
        super().__init__(status, code, msg, path)
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{super().__str__()} (IP banned for {self.retry_after:.0f} s; requests stopped)"


class ServerError(BinanceApiError):
    """HTTP 5xx: Binance's side failed (the request's outcome may be unknown); retried with backoff."""


class ClockSkew(BinanceApiError):
    """-1021: the request's timestamp is outside recvWindow; the client resyncs and retries once."""


class ResponseShapeError(BinanceRestError):
    """The response parsed as JSON but is not the shape this endpoint returns (Binance changed it?)."""
