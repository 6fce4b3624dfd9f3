"""The REST simulator's errors, injected faults and parameter parsing (Binance's codes and messages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Answers of the right shape with wrong rows: one id twice, or one row stamped a day early.
ROW_FAULTS = frozenset({"duplicate_row", "previous_day_row"})
FAULT_KINDS = frozenset({"429", "418", "5xx", "shape", *ROW_FAULTS})
DAY_MS = 86_400_000


class SimError(Exception):
    def __init__(self, status: int, code: int, msg: str, retry_after: int | None = None) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg, self.retry_after = status, code, msg, retry_after


@dataclass
class Fault:
    kind: str
    remaining: int
    path: str | None
    status: int = 503
    retry_after: int = 1


def opt_int(params: dict[str, str], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise SimError(400, -1100, f"Illegal characters found in parameter '{name}'.") from None


def limit_param(params: dict[str, str]) -> int:
    limit = opt_int(params, "limit") or 500
    if not 1 <= limit <= 1000:
        raise SimError(400, -1130, "Data sent for parameter 'limit' is not valid.")
    return limit


def fault_error(fault: Fault) -> SimError:
    if fault.kind == "429":
        return SimError(429, -1003, "Too many requests (injected burst).", fault.retry_after)
    if fault.kind == "418":
        return SimError(418, -1003, "Way too many requests; IP banned (injected).", fault.retry_after)
    return SimError(fault.status, -1000, "An unknown error occurred while processing the request.")


def changed_shape(body: Any) -> Any:
    """What a changed response looks like: lists wrapped in an object, C2C rows with renamed fields."""
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return {
            **body,
            "data": [{("orderNo" if k == "orderNumber" else k): v for k, v in r.items()} for r in body["data"]],
        }
    if isinstance(body, list):
        return {"data": body}
    if isinstance(body, dict):
        return {"result": body}
    return body


def _day_earlier(row: Any) -> Any:
    """A trade (`time`), aggTrade (`T`) or kline (open and close time) 24 hours earlier (ms or µs times)."""

    def shift(t: int) -> int:
        return t - (DAY_MS * 1000 if t >= 10**14 else DAY_MS)

    if isinstance(row, dict):
        return {k: shift(v) if k in ("time", "T") else v for k, v in row.items()}
    return [shift(v) if i in (0, 6) else v for i, v in enumerate(row)]


def faulty_rows(kind: str, body: Any) -> Any:
    """`duplicate_row`: the second row is a copy of the first (its id twice, the next id gone);
    `previous_day_row`: the middle row a day early. A list of fewer than two rows is left as it is."""
    if not isinstance(body, list) or len(body) < 2:
        return body
    rows = list(body)
    if kind == "duplicate_row":
        rows[1] = rows[0]
    else:
        middle = len(rows) // 2
        rows[middle] = _day_earlier(rows[middle])
    return rows
