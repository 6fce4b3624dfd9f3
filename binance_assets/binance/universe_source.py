"""Where the symbol universe comes from, and its cheap daily refresh. No Dagster here.

A `UniverseSource` answers four questions: the spot exchangeInfo payload, a symbol's first and last trading
day (the days of its first and last 1d candle), and the 24 h quote volume of every symbol.

* `RestUniverseSource(client)`: Binance's REST API through `BinanceRestClient` (its weight budget and
  retries): `GET /api/v3/exchangeInfo` (weight 20), `GET /api/v3/klines?symbol=S&interval=1d&startTime=0&limit=1`
  (first candle, weight 2), the same without startTime (the last candle), `GET /api/v3/ticker/24hr?type=MINI`
  (weight 80, every symbol at once).
* `MirrorUniverseSource(mirror_dir)`: a local mirror (the embedded default, no internet): the exchangeInfo and
  tickers the simulator wrote at `urls.MIRROR_EXCHANGE_INFO` / `MIRROR_TICKER_24HR`, and as trading days the
  days of the symbol's daily archives in the mirror (each a complete zip + .CHECKSUM pair).

`refresh_listings(source, known, today)` asks for candles only for symbols not known yet, and for the last day
of a known one that has just gone to BREAK, so a daily refresh of 2,000 known symbols is one exchangeInfo and
one ticker call. A relisted symbol (BREAK, then TRADING again) keeps its first day and loses its last day.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from .errors import UniverseError
from .rest_client import BinanceRestClient
from .rest_errors import BinanceApiError
from .rest_protocol import INVALID_SYMBOL
from .universe import DELISTED, Listing, SymbolUniverse, parse_exchange_info
from .urls import MIRROR_EXCHANGE_INFO, MIRROR_TICKER_24HR

if TYPE_CHECKING:
    from binance_assets.settings import Settings

log = logging.getLogger(__name__)
EPOCH = date(1970, 1, 1)

__all__ = ["MirrorUniverseSource", "RestUniverseSource", "UniverseSource", "refresh_listings", "source_from_settings"]


class UniverseSource(Protocol):
    def exchange_info(self) -> dict: ...

    def first_day(self, symbol: str) -> date | None: ...

    def last_day(self, symbol: str) -> date | None: ...

    def quote_volumes(self) -> dict[str, float]: ...


class RestUniverseSource:
    """Binance's (or the REST simulator's) spot API."""

    def __init__(self, client: BinanceRestClient) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"RestUniverseSource({self.client.base_url!r})"

    def exchange_info(self) -> dict:
        return self.client.exchange_info()

    def _candle_day(self, symbol: str, start_time: int | None) -> date | None:
        try:
            rows = self.client.klines(symbol, "1d", start_time=start_time, limit=1)
        except BinanceApiError as exc:
            if exc.code == INVALID_SYMBOL:  # listed in exchangeInfo, no market data (yet, or any more)
                return None
            raise
        if not rows:
            return None
        per_day = 86_400_000_000 if self.client.time_unit == "MICROSECOND" else 86_400_000
        return EPOCH + timedelta(days=int(rows[0][0]) // per_day)

    def first_day(self, symbol: str) -> date | None:
        """The day of the symbol's first 1d candle (None: it has none yet)."""
        return self._candle_day(symbol, 0)

    def last_day(self, symbol: str) -> date | None:
        """The day of the symbol's last 1d candle."""
        return self._candle_day(symbol, None)

    def quote_volumes(self) -> dict[str, float]:
        return {row["symbol"]: float(row["quoteVolume"]) for row in self.client.ticker_24hr_mini()}


_ARCHIVE_DAY = re.compile(r"-(\d{4}-\d{2}-\d{2})\.zip$")


class MirrorUniverseSource:
    """A local archive mirror holding the simulator's exchangeInfo and tickers beside its archives."""

    def __init__(self, mirror_dir: Path | str) -> None:
        self.mirror_dir = Path(mirror_dir)

    def __repr__(self) -> str:
        return f"MirrorUniverseSource({str(self.mirror_dir)!r})"

    def exchange_info(self) -> dict:
        path = self.mirror_dir / MIRROR_EXCHANGE_INFO
        try:
            payload = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise UniverseError(
                f"no exchangeInfo in the mirror {self.mirror_dir} ({MIRROR_EXCHANGE_INFO} is missing): "
                "`binance-assets simulate --universe N` writes one"
            ) from None
        except ValueError as exc:
            raise UniverseError(f"{path} is not JSON: {exc}") from None
        if not isinstance(payload, dict):
            raise UniverseError(f"{path}: expected an exchangeInfo object, got {type(payload).__name__}")
        return payload

    def _days(self, symbol: str) -> list[date]:
        daily = self.mirror_dir / "data" / "spot" / "daily"
        found = set()
        for zip_path in daily.glob(f"*/{symbol}/**/{symbol}-*.zip"):
            match = _ARCHIVE_DAY.search(zip_path.name)
            if match and zip_path.with_name(zip_path.name + ".CHECKSUM").is_file():
                found.add(date.fromisoformat(match.group(1)))
        return sorted(found)

    def first_day(self, symbol: str) -> date | None:
        days = self._days(symbol)
        return days[0] if days else None

    def last_day(self, symbol: str) -> date | None:
        days = self._days(symbol)
        return days[-1] if days else None

    def quote_volumes(self) -> dict[str, float]:
        path = self.mirror_dir / MIRROR_TICKER_24HR
        if not path.is_file():
            return {}
        rows = json.loads(path.read_bytes())
        if not isinstance(rows, list) or any(not isinstance(r, dict) or "quoteVolume" not in r for r in rows):
            raise UniverseError(f"{path}: expected a list of 24 h tickers with 'symbol' and 'quoteVolume'")
        return {row["symbol"]: float(row["quoteVolume"]) for row in rows}


def _known(known: SymbolUniverse | Mapping[str, Listing] | None) -> dict[str, Listing]:
    if known is None:
        return {}
    if isinstance(known, SymbolUniverse):
        return {listing.symbol: listing for listing in known}
    return dict(known)


def refresh_listings(
    source: UniverseSource, known: SymbolUniverse | Mapping[str, Listing] | None, today: date
) -> list[Listing]:
    """The universe now: exchangeInfo's symbols with their days (fetched only where not known), by symbol.

    * new symbol: first day from its first candle (none yet: left out until it has one); BREAK: last day
      from its last candle.
    * known symbol: keeps its first day; TRADING -> BREAK fetches the last day; BREAK -> TRADING drops it.
    * quote volume: the 24 h ticker's; a BREAK symbol keeps the last volume recorded while it traded.
    * a known symbol exchangeInfo no longer lists stays; if it was not BREAK it becomes BREAK, its last day
      its last candle's, else the day before `today` (Binance removed it: it traded until then at the latest).
    * names the archive layout cannot hold are left out (logged).
    """
    before = _known(known)
    listed = parse_exchange_info(source.exchange_info())
    in_exchange_info = {entry.symbol for entry in listed}
    volumes = source.quote_volumes()
    skipped = [s.symbol for s in listed if not s.archivable]
    if skipped:
        log.warning("universe: %d symbol name(s) the archive layout cannot hold left out: %s", len(skipped), skipped)
    out: dict[str, Listing] = {}
    for entry in listed:
        if not entry.archivable:
            continue
        prev = before.get(entry.symbol)
        first = prev.first_day if prev is not None else source.first_day(entry.symbol)
        if first is None:
            continue
        last = None
        if entry.status == DELISTED:
            was_delisted = prev is not None and prev.last_day is not None
            last = prev.last_day if was_delisted and prev is not None else source.last_day(entry.symbol)
            if last is None:
                log.warning("universe: %s is BREAK but has no last candle: left as it was", entry.symbol)
                if prev is not None:
                    out[entry.symbol] = prev
                continue
            last = max(last, first)
        volume = volumes.get(entry.symbol)
        if entry.status == DELISTED and not volume and prev is not None:
            volume = prev.quote_volume
        out[entry.symbol] = Listing(
            entry.symbol, entry.base_asset, entry.quote_asset, entry.status, first, last, volume
        )
    for symbol, prev in before.items():
        if symbol in in_exchange_info:
            continue
        if prev.status != DELISTED:
            last = source.last_day(symbol) or max(prev.first_day, today - timedelta(days=1))
            prev = Listing(prev.symbol, prev.base_asset, prev.quote_asset, DELISTED, prev.first_day,
                           max(last, prev.first_day), prev.quote_volume)  # fmt: skip
        out[symbol] = prev
    return [out[s] for s in sorted(out)]


def source_from_settings(settings: Settings) -> UniverseSource:
    """The deployment's source: the archive mirror when archives come from a local folder (the embedded
    default), else Binance's REST API at `rest_base_url` (within `rest_weight_share` of the weight budget)."""
    base = settings.resolved_archive_base_url
    if urlsplit(base).scheme not in ("http", "https"):
        return MirrorUniverseSource(Path(base))
    return RestUniverseSource(BinanceRestClient(settings.rest_base_url, weight_share=settings.rest_weight_share))
