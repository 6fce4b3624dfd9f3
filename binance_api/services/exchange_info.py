"""`/api/v3/exchangeInfo`'s bodies, built once per warehouse version.

A `Catalog` holds one version's universe (binance_api.services.universe) with each symbol's entry already
serialised (Binance's per-symbol shape, `symbol_info`), the symbols the data paths accept, and the joined
`symbols` arrays asked for so far (by status filter, permissions, showPermissionSets). A request then costs a
dictionary lookup and one concatenation around the current `serverTime`: 2,000 symbols make a body of about
2 MB that is never serialised twice for the same version. Clients that accept gzip (ccxt, the Binance SDKs, as
Binance itself answers them) get it gzipped (~25 KB): the symbols once per version, `serverTime` per request
(binance_api.services.gzip_splice).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from binance_api.services.gzip_splice import GzipTail
from binance_api.services.universe import Listing, held_symbols, listings

# enums.md, "Account and Symbol Permissions"; exchangeInfo lists SPOT, MARGIN or LEVERAGED symbols by default.
PERMISSIONS = frozenset({"SPOT", "MARGIN", "LEVERAGED", *(f"TRD_GRP_{n:03d}" for n in range(2, 26))})
DEFAULT_PERMISSIONS = frozenset({"SPOT", "MARGIN", "LEVERAGED"})
SPOT_PERMISSION_SETS = [["SPOT"]]  # every symbol the platform serves is a spot symbol
KEEP_VERSIONS = 2  # a request still reading the previous version does not evict the new one


def symbol_info(listing: Listing, *, show_permission_sets: bool = True) -> dict:
    """exchangeInfo's entry for a symbol, in Binance's shape (status as the universe records it)."""
    return {
        "symbol": listing.symbol,
        "status": listing.status,
        "baseAsset": listing.base_asset,
        "baseAssetPrecision": 8,
        "quoteAsset": listing.quote_asset,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "opoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "amendAllowed": False,
        "pegInstructionsAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000",
             "tickSize": "0.01000000"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000", "stepSize": "0.00001000"},
        ],
        "permissions": [],
        "permissionSets": permission_sets(listing) if show_permission_sets else [],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def permission_sets(listing: Listing) -> list[list[str]]:
    """The symbol's `permissionSets` (an order needs one permission of each set)."""
    return SPOT_PERMISSION_SETS


def _dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass
class Catalog:
    """One warehouse version's exchangeInfo material (see the module doc)."""

    version: str
    listings: list[Listing]
    held: frozenset[str]  # the symbols the warehouse holds data of
    from_universe: bool
    by_symbol: dict[str, Listing] = field(init=False)
    known: frozenset[str] = field(init=False)  # the symbols the data paths accept: listed or held
    _entries: dict[bool, dict[str, bytes]] = field(default_factory=dict, repr=False)
    _tails: dict[tuple, bytes] = field(default_factory=dict, repr=False)
    _gzipped: dict[tuple, GzipTail] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.by_symbol = {x.symbol: x for x in self.listings}
        self.known = self.held | self.by_symbol.keys()

    def entries(self, show_permission_sets: bool) -> dict[str, bytes]:
        """Each symbol's serialised entry (built on first use; two threads building it get equal bytes)."""
        built = self._entries.get(show_permission_sets)
        if built is None:
            built = {x.symbol: _dumps(symbol_info(x, show_permission_sets=show_permission_sets))
                     for x in self.listings}
            self._entries[show_permission_sets] = built
        return built

    def cached_tail(self, key: tuple) -> bytes | None:
        return self._tails.get(key)

    def tail(self, key: tuple) -> bytes:
        """The body after its head, `key` = (status, permissions, showPermissionSets): the `symbols` array of every
        listing with that status (any if None) holding one of the permissions, and the closing brace. Kept."""
        built = self._tails.get(key)
        if built is None:
            status, permissions, show_permission_sets = key
            entries = self.entries(show_permission_sets)
            chosen = [entries[x.symbol] for x in self.listings
                      if (status is None or x.status == status)
                      and any(permissions.intersection(s) for s in permission_sets(x))]
            built = self._tails[key] = b"[" + b",".join(chosen) + b"]}"
        return built

    def cached_gzip(self, key: tuple) -> GzipTail | None:
        return self._gzipped.get(key)

    def gzip_tail(self, key: tuple) -> GzipTail:
        """The gzip material of `tail(key)` (deflated on first use: ~10 ms for 2,000 symbols)."""
        built = self._gzipped.get(key)
        if built is None:
            built = GzipTail(self.tail(key))
            self._gzipped[key] = built
        return built

    def named_array(self, symbols: Iterable[str], show_permission_sets: bool) -> bytes:
        """The `symbols` array of the named listings (serialised here unless every entry already is)."""
        entries = self._entries.get(show_permission_sets)
        if entries is None:
            parts = [_dumps(symbol_info(self.by_symbol[s], show_permission_sets=show_permission_sets)) for s in symbols]
        else:
            parts = [entries[s] for s in symbols]
        return b"[" + b",".join(parts) + b"]"


def head(server_time_ms: int, rate_limits: list[dict]) -> bytes:
    """The body up to its `symbols` array, in Binance's key order."""
    return b"".join((
        b'{"timezone":"UTC","serverTime":', str(int(server_time_ms)).encode(), b',"rateLimits":',
        _dumps(rate_limits), b',"exchangeFilters":[],"symbols":',
    ))


def body(server_time_ms: int, rate_limits: list[dict], symbols_array: bytes) -> bytes:
    """The whole exchangeInfo body around an already serialised `symbols` array."""
    return head(server_time_ms, rate_limits) + symbols_array + b"}"


def build_catalog(session) -> Catalog:
    """The version's universe and held symbols (two queries); bodies are serialised when first asked for, in the
    thread pool (the exchangeInfo route), so the data paths' symbol check does not wait for them."""
    held = held_symbols(session)
    listed, from_universe = listings(session, held)
    return Catalog(session.version, listed, frozenset(held), from_universe)


class ExchangeInfoCache:
    """The catalogs of the latest warehouse versions read, per process."""

    def __init__(self) -> None:
        self._catalogs: OrderedDict[str, Catalog] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, version: str) -> Catalog | None:
        """The version's catalog if built (no blocking work: callable on the event loop)."""
        return self._catalogs.get(version)

    def get(self, session) -> Catalog:
        """The session's catalog, built from the warehouse on the first request of its version (blocking)."""
        found = self._catalogs.get(session.version)
        if found is not None:
            return found
        with self._lock:
            found = self._catalogs.get(session.version)
            if found is None:
                found = build_catalog(session)
                self._catalogs[session.version] = found
                while len(self._catalogs) > KEEP_VERSIONS:
                    self._catalogs.popitem(last=False)
            return found
