"""Specific exception types for every kind of bad Binance input.

Each one carries a message that says what was wrong and where, so that a CLI can print it on one
line and a Dagster run can show it without a traceback being needed to understand it.
"""

from __future__ import annotations


class BinanceDataError(Exception):
    """Base class: something about a Binance archive or response is not as it must be."""


class ArchiveNotYetAvailable(BinanceDataError):
    """The archive answered 404: the day is not (yet) published. Not a crash: try again later."""


class UnknownSymbol(BinanceDataError):
    """The symbol is not listed by the archive (or is not a valid Binance symbol at all)."""


class ChecksumMismatch(BinanceDataError):
    """The sha256 of the downloaded zip differs from the one in its .CHECKSUM file."""


class ChecksumFileError(BinanceDataError):
    """The .CHECKSUM file is missing, empty or not in Binance's `<sha256>  <name>` format."""


class CorruptArchive(BinanceDataError):
    """The file is not a readable zip (truncated, not a zip at all, or a damaged member)."""


class ArchiveLayoutError(BinanceDataError):
    """The zip holds no CSV, or more than one."""


class EmptyArchive(BinanceDataError):
    """The archive (or CSV) holds no data rows."""


class ColumnCountError(BinanceDataError):
    """A row has a number of columns that matches no known Binance format."""


class FieldParseError(BinanceDataError):
    """A field could not be parsed as the type its column requires (e.g. non-numeric price)."""


class UnknownFormat(BinanceDataError):
    """The file's kind (trades, aggTrades, klines) could not be told from its name, header or shape."""


class DuplicateIds(BinanceDataError):
    """The same trade id (or aggTrade id) appears more than once."""


class DownloadError(BinanceDataError):
    """The archive server failed in a way that retries did not cure (5xx, connection errors)."""


class UnknownInterval(BinanceDataError, ValueError):
    """Not one of Binance's kline intervals."""


class UniverseError(BinanceDataError, ValueError):
    """The symbol universe is inconsistent, or asked for a symbol it does not list (see binance.universe)."""
