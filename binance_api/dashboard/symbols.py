"""Which symbols a dashboard page shows: the universe filtered (a text, a quote asset, a status), sorted (by quote
volume, by problems, by name) and cut into pages on the server, so 2,000 symbols stay readable and each page
draws only its rows. Bad filter values are refused with the reason (`BadQuery`)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from binance_api.services.universe import Listing

SORTS = ("volume", "problems", "symbol")
MAX_PAGE_SIZE = 200
MAX_TEXT = 40
TEXT = re.compile(r"[A-Za-z0-9]*")
ASSET = re.compile(r"[A-Z0-9]{1,20}")


class BadQuery(ValueError):
    pass


@dataclass(frozen=True)
class SymbolQuery:
    text: str = ""  # part of the symbol, any case; "/", "-", "_" and spaces are ignored ("btc/usdt")
    quote: str | None = None  # the quote asset, exactly
    status: str | None = None  # Binance's status: TRADING, BREAK, ...
    sort: str = "volume"
    page: int = 1  # from 1; past the last page means the last page
    page_size: int = 50


def _int(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadQuery(f"{name} must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise BadQuery(f"{name} must be from {low} to {high}, got {number}")
    return number


def parse_query(
    q: str | None, quote: str | None, status: str | None, sort: str | None, page: str | None,
    page_size: str | None, *, default_sort: str, default_size: int,
) -> SymbolQuery:
    text = re.sub(r"[\s/_-]", "", q or "")
    if len(text) > MAX_TEXT or not TEXT.fullmatch(text):
        raise BadQuery(f"the search text takes up to {MAX_TEXT} letters and digits, got {q!r}")
    quote = (quote or "").upper() or None
    if quote is not None and not ASSET.fullmatch(quote):
        raise BadQuery(f"quote must be an asset such as USDT, got {quote!r}")
    status = (status or "").upper() or None
    if status is not None and not ASSET.fullmatch(status.replace("_", "")):
        raise BadQuery(f"status must be a symbol status such as TRADING or BREAK, got {status!r}")
    sort = sort or default_sort
    if sort not in SORTS:
        raise BadQuery(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    return SymbolQuery(text.upper(), quote, status, sort, _int(page, "page", 1, 1, 10**6),
                       _int(page_size, "page_size", default_size, 1, MAX_PAGE_SIZE))


@dataclass(frozen=True)
class Page:
    listings: list[Listing]  # this page's, in order
    number: int
    pages: int
    matching: int  # symbols passing the filters
    total: int  # symbols before filtering

    def describe(self, query: SymbolQuery) -> dict[str, Any]:
        first = (self.number - 1) * query.page_size
        return {"number": self.number, "pages": self.pages, "size": query.page_size, "matching": self.matching,
                "total": self.total, "first": first + 1 if self.listings else 0, "last": first + len(self.listings)}


def _volume(x: Listing) -> float:
    return x.quote_volume if x.quote_volume is not None else -1.0


def select(listings: Sequence[Listing], query: SymbolQuery, problems: Mapping[str, int] | None = None) -> Page:
    """The page of `listings` the query asks for. `problems`: per symbol, its cells that are not fine (the
    "problems" sort: most first, then by volume)."""
    chosen = [x for x in listings
              if query.text in x.symbol
              and (query.quote is None or x.quote_asset == query.quote)
              and (query.status is None or x.status == query.status)]
    if query.sort == "volume":
        chosen.sort(key=lambda x: (-_volume(x), x.symbol))
    elif query.sort == "problems":
        counts = problems or {}
        chosen.sort(key=lambda x: (-counts.get(x.symbol, 0), -_volume(x), x.symbol))
    else:
        chosen.sort(key=lambda x: x.symbol)
    pages = max(1, math.ceil(len(chosen) / query.page_size))
    number = min(query.page, pages)
    start = (number - 1) * query.page_size
    return Page(chosen[start:start + query.page_size], number, pages, len(chosen), len(listings))


def facets(listings: Sequence[Listing]) -> dict[str, list[dict[str, Any]]]:
    """The filter boxes' choices: quote assets and statuses, each with its symbol count, the most common first."""
    def counted(values) -> list[dict[str, Any]]:
        return [{"value": v, "count": n} for v, n in sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0]))]

    return {"quotes": counted(x.quote_asset for x in listings), "statuses": counted(x.status for x in listings)}


def listing_dict(x: Listing) -> dict[str, Any]:
    out = asdict(x)
    for key in ("first_day", "last_day"):
        out[key] = out[key].isoformat() if out[key] is not None else None
    return out


def filters_dict(query: SymbolQuery) -> dict[str, Any]:
    return {"q": query.text, "quote": query.quote, "status": query.status, "sort": query.sort}
