"""Binance archive CSV layouts, and telling which one a file is (name, header, shape)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from .schema import ArchiveKind, Market

INT = pa.int64()
FLOAT = pa.float64()
BOOL = pa.bool_()
TIME = "time"  # int64 in the file, converted to timestamp[us] by the reader
SKIP = "skip"  # read as text and dropped (klines' `ignore`)


@dataclass(frozen=True)
class CsvFormat:
    """One column layout: canonical column names and the type each is read as."""

    kind: ArchiveKind
    futures: bool  # the futures variant (no isBestMatch)
    columns: tuple[tuple[str, object], ...]

    @property
    def width(self) -> int:
        return len(self.columns)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]


SPOT_TRADES = CsvFormat(
    ArchiveKind.TRADES,
    False,
    (
        ("trade_id", INT),
        ("price", FLOAT),
        ("qty", FLOAT),
        ("quote_qty", FLOAT),
        ("trade_time", TIME),
        ("is_buyer_maker", BOOL),
        ("is_best_match", BOOL),
    ),
)
FUTURES_TRADES = CsvFormat(ArchiveKind.TRADES, True, SPOT_TRADES.columns[:6])
SPOT_AGG_TRADES = CsvFormat(
    ArchiveKind.AGG_TRADES,
    False,
    (
        ("agg_trade_id", INT),
        ("price", FLOAT),
        ("qty", FLOAT),
        ("first_trade_id", INT),
        ("last_trade_id", INT),
        ("trade_time", TIME),
        ("is_buyer_maker", BOOL),
        ("is_best_match", BOOL),
    ),
)
FUTURES_AGG_TRADES = CsvFormat(ArchiveKind.AGG_TRADES, True, SPOT_AGG_TRADES.columns[:7])
# COIN-M trades: the fourth column is the amount in the base asset (`base_qty`), not the quote amount.
COIN_M_TRADES = CsvFormat(
    ArchiveKind.TRADES,
    True,
    tuple(("base_qty", FLOAT) if name == "quote_qty" else (name, t) for name, t in FUTURES_TRADES.columns),
)
KLINES = CsvFormat(
    ArchiveKind.KLINES,
    False,
    (
        ("open_time", TIME),
        ("open", FLOAT),
        ("high", FLOAT),
        ("low", FLOAT),
        ("close", FLOAT),
        ("volume", FLOAT),
        ("close_time", TIME),
        ("quote_volume", FLOAT),
        ("trade_count", INT),
        ("taker_buy_base_volume", FLOAT),
        ("taker_buy_quote_volume", FLOAT),
        ("ignore", SKIP),
    ),
)

INTERVAL_RE = r"\d+(?:mo|s|m|h|d|w)"
_NAME_RE = re.compile(
    rf"^(?P<symbol>[A-Za-z0-9]+(?:_[A-Za-z0-9]+)?)-(?P<kind>trades|aggTrades|{INTERVAL_RE})-"
    r"(?P<date>\d{4}-\d{2}(?:-\d{2})?)(?![\d])"
)
_INT_RE = re.compile(r"^-?\d+$")
_BOOL_WORDS = {"true", "false"}

def name_parts(name: str) -> tuple[str, str] | None:
    """(symbol, date label) of an archive name: `BTCUSDT-trades-2025-01-01.zip` -> ("BTCUSDT", "2025-01-01")."""
    match = _NAME_RE.match(name.replace("\\", "/").rsplit("/", 1)[-1])
    return (match["symbol"], match["date"]) if match else None


def interval_word(name: str) -> str | None:
    """The klines interval an archive name carries as written (`BTCUSDT-1mo-2024-12.zip` -> "1mo"), else None."""
    match = _NAME_RE.match(name.replace("\\", "/").rsplit("/", 1)[-1])
    return match["kind"] if match and match["kind"] not in ("trades", "aggTrades") else None


def kind_from_name(name: str) -> ArchiveKind | None:
    """`BTCUSDT-trades-2025-01-01.csv` -> TRADES; `…-1h-…` -> KLINES; else None."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    match = _NAME_RE.match(base)
    if not match:
        return None
    word = match["kind"]
    if word == "trades":
        return ArchiveKind.TRADES
    if word == "aggTrades":
        return ArchiveKind.AGG_TRADES
    return ArchiveKind.KLINES


def split_fields(line: str) -> list[str]:
    return [field.strip() for field in line.strip().split(",")]


def is_header(first_line: str) -> bool:
    """A first line whose first field is not an integer is a header."""
    return not _INT_RE.match(split_fields(first_line)[0])


def kind_from_shape(fields: list[str]) -> ArchiveKind | None:
    """Tell the kind from a data row's column count (and, for 7 columns, where the booleans are)."""
    width = len(fields)
    if width == 6:
        return ArchiveKind.TRADES
    if width == 7:
        spot_trades = fields[5].lower() in _BOOL_WORDS
        return ArchiveKind.TRADES if spot_trades else ArchiveKind.AGG_TRADES
    if width == 8:
        return ArchiveKind.AGG_TRADES
    if width == 12:
        return ArchiveKind.KLINES
    return None


def detect_market(
    fmt: CsvFormat, had_header: bool, first_row: list[str], header: list[str] | None, unit: str
) -> Market | None:
    """Spot or futures when the file tells (bool case, width, header, µs); None if ambiguous."""
    bools = [f for f in first_row if f.lower() in _BOOL_WORDS]
    lower_bools = bool(bools) and all(f == f.lower() for f in bools)
    title_bools = bool(bools) and all(f in ("True", "False") for f in bools)
    if fmt.kind is ArchiveKind.KLINES:
        if had_header:
            return _futures_market(header)
        return Market.SPOT if unit == "us" else None
    if fmt.futures and (lower_bools or had_header):
        return _futures_market(header)
    if not fmt.futures and title_bools and not had_header:
        return Market.SPOT
    return None


def header_market(header: list[str] | None) -> Market | None:
    """The futures market a trades header names: `base_qty` is COIN-M's, `quote_qty` USD-M's; else None."""
    names = {h.lower().replace("_", "") for h in header or []}
    if "baseqty" in names:
        return Market.FUTURES_CM
    if "quoteqty" in names:
        return Market.FUTURES_UM
    return None


def _futures_market(header: list[str] | None) -> Market:
    """COIN-M trades name their third amount `base_qty`; everything else is taken as USD-M."""
    return header_market(header) or Market.FUTURES_UM
