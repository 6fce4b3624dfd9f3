"""USD-M futures symbols from `/fapi/v1/exchangeInfo`: the configured ones checked against it. No Dagster here.

Spot's universe is recorded from exchangeInfo (`universe.py`); USD-M futures' symbols are a short configured
list (`BINANCE_ASSETS_UM_SYMBOLS`). The smallest sound step: that list is checked against the exchange's own,
as the universe refresh runs, so a typo or a delisted contract fails with a clear error instead of a daily
"archive not found". A symbol must be a perpetual (`contractType` PERPETUAL: the archives of a delivery
contract carry its expiry in the name) that is TRADING.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import UniverseError

PERPETUAL, TRADING = "PERPETUAL", "TRADING"


def um_contracts(payload: Any) -> dict[str, tuple[str, str]]:
    """symbol -> (contractType, status) of a `/fapi/v1/exchangeInfo` body; UniverseError on another shape."""
    symbols = payload.get("symbols") if isinstance(payload, dict) else None
    if not isinstance(symbols, list):
        raise UniverseError("/fapi/v1/exchangeInfo: expected an object with a 'symbols' list")
    out: dict[str, tuple[str, str]] = {}
    for entry in symbols:
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("symbol", "status")):
            raise UniverseError(f"/fapi/v1/exchangeInfo: a symbol entry lacks 'symbol' or 'status': {entry!r:.120}")
        out[entry["symbol"]] = (str(entry.get("contractType") or ""), entry["status"])
    return out


def check_um_symbols(configured: Iterable[str], payload: Any) -> list[str]:
    """The configured USD-M symbols (sorted) if each is a TRADING perpetual of `payload`; else UniverseError
    naming every one that is not, and why."""
    contracts, symbols = um_contracts(payload), sorted(set(configured))
    problems = []
    for symbol in symbols:
        found = contracts.get(symbol)
        if found is None:
            problems.append(f"{symbol} is not a USD-M futures symbol")
        elif found[0] != PERPETUAL:
            problems.append(f"{symbol} is a {found[0] or 'non-perpetual'} contract, not a perpetual")
        elif found[1] != TRADING:
            problems.append(f"{symbol} is {found[1]}, not TRADING")
    if problems:
        raise UniverseError(f"BINANCE_ASSETS_UM_SYMBOLS: {'; '.join(problems)} (per /fapi/v1/exchangeInfo, "
                            f"{len(contracts)} symbols)")
    return symbols
