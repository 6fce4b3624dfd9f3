"""Where an archive lives in the data.binance.vision layout."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .datasets import DATASETS, Dataset, folders
from .errors import UnknownSymbol
from .formats import INTERVAL_RE
from .schema import ArchiveKind, Market

SYMBOL_RE = re.compile(r"^[A-Z0-9]{2,20}$")
# REST bodies a local mirror holds beside its archives (written by the simulator, byte for byte what its REST
# server answers): the spot exchangeInfo and the MINI 24 h tickers, at their URL paths.
MIRROR_EXCHANGE_INFO = "api/v3/exchangeInfo"
MIRROR_TICKER_24HR = "api/v3/ticker/24hr"
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# The markets and folders of the registry's datasets, as the data.binance.vision layout spells them.
MARKET_WORDS = "|".join(dict.fromkeys(re.escape(ds.market.value) for ds in DATASETS.values()))
FOLDER_WORDS = "|".join(re.escape(word) for word in folders())
_LAYOUT_MARKET_RE = re.compile(rf"(?:^|/)({MARKET_WORDS})/(?:daily|monthly)/(?:{FOLDER_WORDS})/")
_KIND_FOLDER = {kind: word for word, kind in folders().items()}


def validate_symbol(symbol: str) -> str:
    if not isinstance(symbol, str) or not SYMBOL_RE.match(symbol):
        raise UnknownSymbol(f"{symbol!r} is not a Binance symbol (expected ^[A-Z0-9]{{2,20}}$)")
    return symbol


def market_in_path(path: str) -> Market | None:
    """The market a path in the data.binance.vision layout names (`.../data/futures/cm/daily/trades/...`)."""
    matches = _LAYOUT_MARKET_RE.findall(str(path).replace("\\", "/"))
    return Market(matches[-1]) if matches else None


@dataclass(frozen=True)
class ArchiveSpec:
    """One archive file: symbol, kind, a day or a month ("YYYY-MM"), market, klines interval."""

    symbol: str
    kind: ArchiveKind
    day: date | None = None
    month: str | None = None
    market: Market = Market.SPOT
    interval: str = "1m"

    def __post_init__(self) -> None:
        validate_symbol(self.symbol)
        object.__setattr__(self, "kind", ArchiveKind(self.kind))
        object.__setattr__(self, "market", Market(self.market))
        if (self.day is None) == (self.month is None):
            raise ValueError("ArchiveSpec needs exactly one of day= or month=")
        if self.month is not None and not _MONTH_RE.match(self.month):
            raise ValueError(f"month must be 'YYYY-MM', got {self.month!r}")
        if self.kind is ArchiveKind.KLINES and not re.fullmatch(INTERVAL_RE, self.interval):
            raise ValueError(f"not a klines interval: {self.interval!r}")

    @classmethod
    def daily(cls, dataset: Dataset, symbol: str, day: date) -> ArchiveSpec:
        """The daily archive of `dataset` for (symbol, day)."""
        return cls(symbol, dataset.kind, day=day, market=dataset.market, interval=dataset.interval or "1m")

    @property
    def period(self) -> str:
        return "daily" if self.day is not None else "monthly"

    @property
    def date_label(self) -> str:
        return self.day.isoformat() if self.day is not None else str(self.month)

    @property
    def stem(self) -> str:
        word = self.interval if self.kind is ArchiveKind.KLINES else self.kind.value
        return f"{self.symbol}-{word}-{self.date_label}"

    @property
    def file_name(self) -> str:
        return f"{self.stem}.zip"

    @property
    def csv_name(self) -> str:
        return f"{self.stem}.csv"

    @property
    def symbol_dir(self) -> str:
        """`data/{market}/{period}/{kind}/{SYMBOL}`: the folder whose absence means no such symbol."""
        return f"data/{self.market.value}/{self.period}/{_KIND_FOLDER[self.kind]}/{self.symbol}"

    @property
    def relative_path(self) -> str:
        interval = f"{self.interval}/" if self.kind is ArchiveKind.KLINES else ""
        return f"{self.symbol_dir}/{interval}{self.file_name}"

    @property
    def checksum_relative_path(self) -> str:
        return f"{self.relative_path}.CHECKSUM"

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/{self.relative_path}"
