"""Find daily archive files that newly landed in a mirror of the data.binance.vision layout.

No Dagster imports. A mirror (`mirrors.py`) is a local folder (`LocalMirror`) or an S3 prefix
(`S3Mirror`); both list the `.zip.CHECKSUM` files under `data/spot/daily/`. An archive counts as *landed* once both
`<name>.zip` and `<name>.zip.CHECKSUM` exist; the CHECKSUM's time is the landing time (writers put the
zip first and the checksum last, as `ArchiveClient` and Binance do).

    files, cursor = find_landed(LocalMirror(root), cursor, symbols={"BTCUSDT"})

The cursor (JSON) is a watermark plus two small maps, so that a restart neither misses nor repeats a
file:
- `mtime_ns` (W): every CHECKSUM whose time is <= W has been handled. W never passes
  `now - settle_ns` (default 2 min), so a file that becomes visible only after the listing started
  (its time is then later than the listing's start) is still ahead of the watermark;
- `seen`: the files handled whose time is > W, each with its version (time and fingerprint: inode and
  size locally, the ETag on S3). A CHECKSUM rewritten later (a replaced archive) has a new version and
  is found again, even within the same second of S3's LastModified;
- `pending`: CHECKSUMs whose zip is not there yet (or whose text does not parse yet, or whose day is
  after `max_day`); they are looked at again on every call until they can be reported, whatever W is.

On a local folder the landing time is the later of the CHECKSUM's mtime and ctime: a copy that keeps
mtimes (`rsync -a`, `cp -p`) would otherwise land "in the past", behind the watermark; the ctime is
the moment the file really appeared. A spurious re-report (e.g. after `chmod`) is harmless when the
consumer keys its work on (path, checksum), as the landing sensor does.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from binance_assets.automation.mirrors import CHECKSUM_SUFFIX, ListedChecksum, MirrorSource
from binance_assets.binance.checksum import parse_checksum
from binance_assets.binance.datasets import folders
from binance_assets.binance.errors import BinanceDataError, ChecksumFileError
from binance_assets.binance.schema import ArchiveKind, Market
from binance_assets.binance.urls import FOLDER_WORDS, MARKET_WORDS, ArchiveSpec
from binance_assets.warehouse.tables import RawTable, raw_table_for_archive

KLINES_INTERVAL = "1m"
DEFAULT_SETTLE_NS = 120 * 1_000_000_000
CURSOR_VERSION = 1

# The markets and folders are the dataset registry's (`binance.datasets`).
_PATH_RE = re.compile(
    rf"^data/(?P<market>{MARKET_WORDS})/(?P<period>daily|monthly)/"
    rf"(?P<folder>{FOLDER_WORDS})/(?P<symbol>[A-Z0-9]{{2,20}})/(?:(?P<interval>[0-9]+[a-z]+)/)?"
    r"(?P<name>[^/]+)\.zip$"
)
_FOLDER_KIND = folders()


# --- paths ------------------------------------------------------------------------------------------


def parse_archive_path(relative_path: str) -> ArchiveSpec | None:
    """The archive a mirror-relative `.zip` (or `.zip.CHECKSUM`) path names, or None if it names none.

    Any market, period and klines interval of the data.binance.vision layout; the path must be exactly
    the one `ArchiveSpec.relative_path` builds (file name, symbol folder and interval folder agree).
    """
    path = relative_path.replace("\\", "/").lstrip("/").removesuffix(CHECKSUM_SUFFIX)
    match = _PATH_RE.match(path)
    if match is None:
        return None
    kind = _FOLDER_KIND[match["folder"]]
    interval = match["interval"]
    if (kind is ArchiveKind.KLINES) != (interval is not None):
        return None
    stem_kind = interval if kind is ArchiveKind.KLINES else kind.value
    prefix = f"{match['symbol']}-{stem_kind}-"
    if not match["name"].startswith(prefix):
        return None
    label = match["name"][len(prefix) :]
    try:
        if match["period"] == "daily":
            spec = ArchiveSpec(
                match["symbol"],
                kind,
                day=date.fromisoformat(label),
                market=Market(match["market"]),
                interval=interval or KLINES_INTERVAL,
            )
        else:
            spec = ArchiveSpec(
                match["symbol"], kind, month=label, market=Market(match["market"]), interval=interval or KLINES_INTERVAL
            )
    except (ValueError, BinanceDataError):
        return None
    return spec if spec.relative_path == path else None


def is_wanted(spec: ArchiveSpec) -> bool:
    """A daily archive of a dataset the warehouse loads (the registry's `raw` datasets)."""
    return spec.day is not None and raw_table_for_archive(spec.market, spec.kind, spec.interval) is not None


# --- what was found -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LandedFile:
    """A daily archive of a loaded dataset whose zip and CHECKSUM are both in the mirror."""

    relative_path: str  # of the zip, e.g. data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-01.zip
    kind: ArchiveKind
    symbol: str
    day: date
    landed_at_ns: int  # the CHECKSUM's time (see the module docstring)
    checksum_text: str
    market: Market = Market.SPOT
    interval: str = KLINES_INTERVAL  # klines only

    @property
    def raw_table(self) -> RawTable:
        """The raw table this archive loads into."""
        table = raw_table_for_archive(self.market, self.kind, self.interval)
        if table is None:
            raise KeyError(f"{self.relative_path}: no raw table loads {self.market.value} {self.kind.value} archives")
        return table

    @property
    def checksum_relative_path(self) -> str:
        return self.relative_path + CHECKSUM_SUFFIX

    @property
    def sha256(self) -> str:
        """The zip's sha256 as its CHECKSUM states it (lower-case hex)."""
        return parse_checksum(self.checksum_text)[0]

    @property
    def spec(self) -> ArchiveSpec:
        return ArchiveSpec(self.symbol, self.kind, day=self.day, market=self.market, interval=self.interval)


# --- cursor ---------------------------------------------------------------------------------------------


@dataclass
class LandingCursor:
    mtime_ns: int = -1
    seen: dict[str, str] = field(default_factory=dict)  # path -> version "mtime_ns:fingerprint"
    pending: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None) -> LandingCursor:
        if text is None or not text.strip():
            return cls()
        try:
            data = json.loads(text)
            if data.get("v", CURSOR_VERSION) != CURSOR_VERSION:
                raise ValueError(f"cursor version {data.get('v')!r}, expected {CURSOR_VERSION}")
            return cls(
                mtime_ns=int(data["mtime_ns"]),
                seen={str(k): str(v) for k, v in data.get("seen", {}).items()},
                pending={str(k): str(v) for k, v in data.get("pending", {}).items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a landing cursor: {text[:200]!r} ({exc})") from exc

    def dumps(self) -> str:
        return json.dumps(
            {"v": CURSOR_VERSION, "mtime_ns": self.mtime_ns, "seen": self.seen, "pending": self.pending},
            sort_keys=True,
            separators=(",", ":"),
        )


def _version(item: ListedChecksum) -> str:
    return f"{item.mtime_ns}:{item.fingerprint}"


# --- the scan -------------------------------------------------------------------------------------------


def find_landed(
    source: MirrorSource,
    cursor: str | None,
    symbols: Iterable[str] | None = None,
    *,
    min_day: date | None = None,
    max_day: date | None = None,
    limit: int | None = None,
    settle_ns: int = DEFAULT_SETTLE_NS,
    now_ns: int | None = None,
) -> tuple[list[LandedFile], str]:
    """Archives that landed since `cursor` (None: all of them), oldest first, and the new cursor.

    Only daily archives of the loaded datasets (`is_wanted`) of `symbols` (None: any symbol) are reported;
    anything else is passed over for good, as are days before `min_day`. Days after `max_day` (not yet
    a partition) wait in the cursor's `pending` until they are allowed. At most `limit` files are
    reported; the rest come on the next call.
    """
    state = LandingCursor.parse(cursor)
    wanted_symbols = None if symbols is None else set(symbols)
    now = time.time_ns() if now_ns is None else now_ns  # taken before listing: see the module docstring
    horizon = now - settle_ns

    listed: dict[str, ListedChecksum] = {}
    candidates: list[ListedChecksum] = []
    for item in source.list_checksums():
        listed[item.relative_path] = item
        version = _version(item)
        if item.relative_path in state.pending or (
            item.mtime_ns > state.mtime_ns and state.seen.get(item.relative_path) != version
        ):
            candidates.append(item)
    candidates.sort(key=lambda c: (c.mtime_ns, c.relative_path))

    found: list[LandedFile] = []
    handled: set[str] = set()
    pending: dict[str, str] = {}
    first_unhandled_ns: int | None = None
    for item in candidates:
        if limit is not None and len(found) >= limit:
            if item.relative_path in state.pending:
                pending[item.relative_path] = state.pending[item.relative_path]
            elif first_unhandled_ns is None:
                first_unhandled_ns = item.mtime_ns
            continue
        handled.add(item.relative_path)
        spec = parse_archive_path(item.relative_path)
        if (
            spec is None
            or not is_wanted(spec)
            or (wanted_symbols is not None and spec.symbol not in wanted_symbols)
            or (min_day is not None and spec.day < min_day)
        ):
            continue  # not ours: passed over for good
        zip_path = spec.relative_path
        if (max_day is not None and spec.day > max_day) or not source.exists(zip_path):
            pending[item.relative_path] = _version(item)
            continue
        try:
            text = source.read_text(item.relative_path)
            parse_checksum(text)
        except (FileNotFoundError, ChecksumFileError):  # removed, or being written: look again later
            pending[item.relative_path] = _version(item)
            continue
        found.append(
            LandedFile(zip_path, spec.kind, spec.symbol, spec.day, item.mtime_ns, text, spec.market, spec.interval)
        )

    watermark = max(state.mtime_ns, horizon)
    if first_unhandled_ns is not None:
        watermark = min(watermark, first_unhandled_ns - 1)
    watermark = max(watermark, state.mtime_ns)
    seen: dict[str, str] = {}
    for path, item in listed.items():
        if item.mtime_ns <= watermark or path in pending:
            continue
        version = _version(item)
        if (path in handled) or state.seen.get(path) == version:
            seen[path] = version
    new_cursor = LandingCursor(mtime_ns=watermark, seen=seen, pending=pending)
    return found, new_cursor.dumps()
