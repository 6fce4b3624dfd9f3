"""The dataset registry: ONE declaration per Binance dataset, read by everything that handles one.

A dataset is one market's archives of one kind (and, for klines, one interval): `spot_trades` is
`data/spot/daily/trades/<SYMBOL>/<SYMBOL>-trades-<day>.zip`. Its entry states the Binance-level facts
(market, kind, interval, the CSV layouts it comes in, the REST path that fills it (on its market's host: spot's
`/api/v3`, USD-M futures' `/fapi/v1`), whether the simulator
renders it, whether the warehouse loads it); the rest follows from them (archive path words, Arrow schema,
id and time columns, REST request weight). No Dagster and no warehouse here: the layers above attach
what they own keyed by the same id (the raw table in `warehouse/tables.py`, the pandera model and the
description in `ingestion/`, the served path in the API), and tests/test_dataset_registry.py fails when
a dataset lacks any of them.

    from binance_assets.binance.datasets import DATASETS, dataset
    for ds in raw_datasets(): ...         # what the warehouse loads
    dataset("spot_agg_trades").rest_path  # "/api/v3/aggTrades"

Adding a dataset of a known kind is one entry below (plus its pandera model, description and the
dbt/API side); a new kind also declares its Arrow schema and id/time columns in `schema.py` and its CSV
layouts in `formats.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from . import formats
from .errors import ColumnCountError, UnknownFormat
from .formats import CsvFormat, kind_from_name, kind_from_shape
from .rest_shapes import REQUEST_WEIGHTS
from .schema import ID_COLUMN, TIME_COLUMN, ArchiveKind, Market, canonical_schema

# First field of a header row (lower case, underscores dropped) -> kind.
HEADER_WORDS: dict[ArchiveKind, tuple[str, ...]] = {
    ArchiveKind.TRADES: ("id", "tradeid"),
    ArchiveKind.AGG_TRADES: ("aggtradeid",),
    ArchiveKind.KLINES: ("opentime",),
}

# Each market's REST API (a dataset's `rest_path` is one of its market's): spot, USD-M and COIN-M futures.
REST_PREFIX: dict[Market, str] = {
    Market.SPOT: "/api/v3/", Market.FUTURES_UM: "/fapi/v1/", Market.FUTURES_CM: "/dapi/v1/"
}  # fmt: skip


@dataclass(frozen=True)
class Dataset:
    """One Binance dataset; see the module docstring."""

    id: str  # e.g. "spot_trades": the raw table's name too, when the warehouse loads it
    market: Market
    kind: ArchiveKind
    layouts: tuple[CsvFormat, ...]  # every CSV layout its archives come in (by column count)
    interval: str | None = None  # klines only
    rest_path: str | None = None  # the REST path that fills a day of it (None: not gap-fillable)
    simulated: bool = False  # the simulator renders its archives
    raw: bool = False  # the warehouse loads it into raw.<id>
    header: tuple[str, ...] | None = None  # the header row its archives carry, as Binance words it (None: none)

    def __post_init__(self) -> None:
        if (self.kind is ArchiveKind.KLINES) != (self.interval is not None):
            raise ValueError(f"{self.id}: klines, and only klines, have an interval")
        if not self.layouts or any(f.kind is not self.kind for f in self.layouts):
            raise ValueError(f"{self.id}: needs CSV layouts of kind {self.kind.value}")
        if self.header is not None and len(self.header) not in {f.width for f in self.layouts}:
            raise ValueError(f"{self.id}: a header of {len(self.header)} names fits none of its layouts")
        if self.rest_path is not None and self.rest_path not in REQUEST_WEIGHTS:
            raise ValueError(f"{self.id}: {self.rest_path} has no request weight in rest_shapes.REQUEST_WEIGHTS")
        prefix = REST_PREFIX[self.market]
        if self.rest_path is not None and not self.rest_path.startswith(prefix):
            raise ValueError(f"{self.id}: {self.rest_path} is not a {self.market.value} path ({prefix})")

    @property
    def folder(self) -> str:
        """The kind's word in the archive path: `data/<market>/daily/<folder>/<SYMBOL>/`."""
        return self.kind.value

    @property
    def stem_word(self) -> str:
        """The kind's word in the file name: `<SYMBOL>-<stem_word>-<day>.zip` (klines: the interval)."""
        return self.interval or self.kind.value

    @property
    def schema(self) -> pa.Schema:
        """The canonical Arrow schema the reader returns for its archives."""
        return canonical_schema(self.kind, self.market)

    @property
    def id_column(self) -> str | None:
        return ID_COLUMN[self.kind]

    @property
    def time_column(self) -> str:
        return TIME_COLUMN[self.kind]

    @property
    def header_words(self) -> tuple[str, ...]:
        return HEADER_WORDS[self.kind]

    @property
    def milliseconds_only(self) -> bool:
        """Futures archives keep millisecond times; spot's switched to microseconds on 2025-01-01."""
        return self.market is not Market.SPOT

    @property
    def plain_numbers(self) -> bool:
        """Futures archives print amounts as short decimals (`78153.0`, `0.001`); spot's with 8 decimals."""
        return self.market is not Market.SPOT

    @property
    def rest_weight(self) -> int | None:
        """Request weight of one REST page (Binance's figure, `rest_shapes.REQUEST_WEIGHTS`)."""
        return REQUEST_WEIGHTS[self.rest_path] if self.rest_path else None


_UM, _CM = Market.FUTURES_UM, Market.FUTURES_CM
_T, _A, _K = ArchiveKind.TRADES, ArchiveKind.AGG_TRADES, ArchiveKind.KLINES

# The header rows of the futures archives (since 2022; older ones have none), as Binance words them: the real
# USD-M samples of shared/fixtures and binance/binance-public-data's README.
_TRADES_HEADER = ("id", "price", "qty", "quote_qty", "time", "is_buyer_maker")
_CM_TRADES_HEADER = ("id", "price", "qty", "base_qty", "time", "is_buyer_maker")
_AGG_HEADER = ("agg_trade_id", "price", "quantity", "first_trade_id", "last_trade_id", "transact_time",
               "is_buyer_maker")  # fmt: skip
_KLINES_HEADER = ("open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "count",
                  "taker_buy_volume", "taker_buy_quote_volume", "ignore")  # fmt: skip

# The declarations. Spot's and USD-M's three are what the warehouse loads; the COIN-M ones are read and checked
# by `validate-archive` (futures layouts: no isBestMatch, lower-case booleans, a header row since 2022).
_DECLARED = (
    Dataset("spot_trades", Market.SPOT, _T, (formats.SPOT_TRADES,), rest_path="/api/v3/historicalTrades",
            simulated=True, raw=True),
    Dataset("spot_agg_trades", Market.SPOT, _A, (formats.SPOT_AGG_TRADES,), rest_path="/api/v3/aggTrades",
            simulated=True, raw=True),
    Dataset("spot_klines_1m", Market.SPOT, _K, (formats.KLINES,), interval="1m", rest_path="/api/v3/klines",
            simulated=True, raw=True),
    # USD-M's historicalTrades wants the API key (X-MBX-APIKEY, no secret): rest_protocol.API_KEY_PATHS.
    Dataset("um_trades", _UM, _T, (formats.FUTURES_TRADES,), rest_path="/fapi/v1/historicalTrades", simulated=True,
            raw=True, header=_TRADES_HEADER),
    Dataset("um_agg_trades", _UM, _A, (formats.FUTURES_AGG_TRADES,), rest_path="/fapi/v1/aggTrades", simulated=True,
            raw=True, header=_AGG_HEADER),
    Dataset("um_klines_1m", _UM, _K, (formats.KLINES,), interval="1m", rest_path="/fapi/v1/klines", simulated=True,
            raw=True, header=_KLINES_HEADER),
    # COIN-M trades' base_qty needs the contract size, which the simulator does not model.
    Dataset("cm_trades", _CM, _T, (formats.COIN_M_TRADES,), header=_CM_TRADES_HEADER),
    Dataset("cm_agg_trades", _CM, _A, (formats.FUTURES_AGG_TRADES,), simulated=True, header=_AGG_HEADER),
    Dataset("cm_klines_1m", _CM, _K, (formats.KLINES,), interval="1m", simulated=True, header=_KLINES_HEADER),
)  # fmt: skip

DATASETS: dict[str, Dataset] = {ds.id: ds for ds in _DECLARED}


def dataset(dataset_id: str) -> Dataset:
    try:
        return DATASETS[dataset_id]
    except KeyError:
        raise KeyError(f"unknown dataset {dataset_id!r} (known: {', '.join(DATASETS)})") from None


def raw_datasets() -> list[Dataset]:
    """The datasets the warehouse loads, in declaration order."""
    return [ds for ds in DATASETS.values() if ds.raw]


def simulated_datasets(market: Market | None = None) -> list[Dataset]:
    return [ds for ds in DATASETS.values() if ds.simulated and (market is None or ds.market is market)]


def raw_dataset_for(market: Market, kind: ArchiveKind, interval: str | None = None) -> Dataset | None:
    """The loaded dataset an archive of (market, kind, klines interval) belongs to, or None."""
    wanted = interval if kind is ArchiveKind.KLINES else None
    return next((ds for ds in raw_datasets() if (ds.market, ds.kind, ds.interval) == (market, kind, wanted)), None)


def folders() -> dict[str, ArchiveKind]:
    """Archive path word -> kind, over every dataset."""
    return {ds.folder: ds.kind for ds in DATASETS.values()}


def layouts(kind: ArchiveKind, market: Market | None = None) -> dict[int, CsvFormat]:
    """The CSV layouts of `kind` in `market` by column count (every market's when it is not known)."""
    found: dict[int, CsvFormat] = {}
    for ds in _of(kind, market):
        for fmt in ds.layouts:
            found.setdefault(fmt.width, fmt)
    return found


def kind_from_header(fields: list[str]) -> ArchiveKind | None:
    word = fields[0].lower().replace("_", "") if fields else ""
    return next((ds.kind for ds in DATASETS.values() if word in ds.header_words), None)


def choose_format(kind: ArchiveKind, width: int, *, where: str, market: Market | None = None) -> CsvFormat:
    """The layout of `kind` with `width` columns (in `market`, when known), or ColumnCountError."""
    found = layouts(kind, market)
    fmt = found.get(width)
    if fmt is None:
        expected = " or ".join(str(w) for w in found)
        within = f" in {market.value}" if market is not None else ""
        raise ColumnCountError(f"{where}: {kind.value} rows{within} have {expected} columns, got {width}")
    return fmt


def detect_kind(name: str, header: list[str] | None, first_row: list[str], kind: ArchiveKind | None) -> ArchiveKind:
    """Explicit kind, else file name, else header, else shape; UnknownFormat if none tells."""
    found = kind or kind_from_name(name) or (kind_from_header(header) if header else None) or kind_from_shape(first_row)
    if found is None:
        words = list(dict.fromkeys(ds.kind.value for ds in DATASETS.values()))
        kinds = ", ".join(words[:-1]) + " or " + words[-1]
        raise UnknownFormat(f"{name}: cannot tell {kinds} from the name, header or {len(first_row)}-column rows")
    return ArchiveKind(found)


def _of(kind: ArchiveKind, market: Market | None) -> Iterable[Dataset]:
    return [ds for ds in DATASETS.values() if ds.kind is kind and (market is None or ds.market is market)]
