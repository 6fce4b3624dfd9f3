"""Poll data.binance.vision (or any http(s) mirror) for the next day's archives. No Dagster imports.

A day's archive is published once its `.CHECKSUM` answers 200 (Binance writes it with the zip); 404
means not yet. Per symbol of each loaded market (spot's universe, USD-M futures' BINANCE_ASSETS_UM_SYMBOLS; keys of
`poll_key`), `PollState` remembers the day it waits for and backs off while that day is not published.

Timing that meets the deadline. Day D is due `due_hours` (6 h) after midnight of D+1. Waits double
from 5 min, but before the deadline a wait never reaches past half the time left until `deadline - lead`
(`lead`: the time a load needs, 20 min), nor below 5 min: probes get denser as the deadline nears
(00:00, 00:05, 00:15, 00:35, 01:15, 02:35, 04:08, 04:54, 05:17, 05:29, 05:35, 05:40, then every 5 min).
So a day published at any time up to `deadline - lead - base` (05:35 with the defaults) is requested
by `deadline - lead` (05:40) and loaded before its deadline; the sensor ticks every minute.
tests/automation/test_poller.py simulates publish times across the day. After the deadline (the day
is late and the deadline check has alerted) a wait is at most as long as the day is late already:
probes at deadline + 5, 10, 20, 40 min ... then every 6 h.

Replaced archives: `PollState` also remembers when the poller next re-reads the `.CHECKSUM`s of
recently loaded days (every `RECHECK_INTERVAL`); what it compares is in binance_assets.automation.recheck.

    session = make_session()
    state = PollState.from_json(cursor)
    state.expect("BTCUSDT", next_expected_day(last_loaded, start_date))
    for symbol in state.due(now):
        day = state.next_day(symbol)
        if all(probe(session, base_url, spec) for spec in day_specs(symbol, day)):
            ...  # request the run
            state.published(symbol)
        else:
            state.missing(symbol, now, deadline=...)
    cursor = state.to_json()
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from binance_assets.binance.datasets import raw_datasets
from binance_assets.binance.schema import Market
from binance_assets.binance.urls import ArchiveSpec

BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
# Time a day's load needs between being requested and being in the warehouse (run start, download, load).
LOAD_LEAD = timedelta(minutes=20)
RECHECK_INTERVAL = timedelta(hours=1)
RETRY_STATUSES = (429, 500, 502, 503, 504)


class ProbeError(RuntimeError):
    """The archive answered neither 200 (published) nor 404 (not yet), even after retries."""


def is_http_url(base_url: str) -> bool:
    return base_url.lower().startswith(("http://", "https://"))


def next_expected_day(last_loaded: date | None, start_date: date) -> date:
    """The day after the last loaded one; `start_date` if nothing was loaded (or only older days)."""
    if last_loaded is None:
        return start_date
    return max(last_loaded + timedelta(days=1), start_date)


def poll_key(market: Market, symbol: str) -> str:
    """A polled symbol's key in `PollState`: the symbol for spot (as older cursors hold it), else
    `<market>:<symbol>` (`futures/um:BTCUSDT`): each market's symbols are polled apart."""
    return symbol if market is Market.SPOT else f"{market.value}:{symbol}"


def parse_poll_key(key: str) -> tuple[Market, str]:
    market, sep, symbol = key.rpartition(":")
    return (Market(market), symbol) if sep else (Market.SPOT, key)


def day_specs(symbol: str, day: date, market: Market = Market.SPOT) -> list[ArchiveSpec]:
    """The daily archives of one (day, symbol) partition of `market`: one per dataset of the market the warehouse
    loads (the registry's). The poller polls the spot universe's; USD-M files come by the landing sensor."""
    return [ArchiveSpec.daily(ds, symbol, day) for ds in raw_datasets() if ds.market is market]


def make_session(
    retries: int = 3, backoff_factor: float = 1.0, user_agent: str = "binance-assets-poller"
) -> requests.Session:
    """A session that retries connection errors, 429 and 5xx (honouring Retry-After) on HEAD and GET."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"HEAD", "GET"}),
        backoff_factor=backoff_factor,
        backoff_max=60,
        respect_retry_after_header=True,
        raise_on_status=False,  # the last response comes back; probe() raises ProbeError on it
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    return session


def probe(session: requests.Session, base_url: str, spec: ArchiveSpec, timeout: float = 30.0) -> bool:
    """True if `spec`'s `.CHECKSUM` is published under `base_url` (200), False if not yet (404).

    HEAD first; a server that does not do HEAD (405/501) gets a streamed GET. Anything else, after the
    session's retries, raises ProbeError (connection errors raise requests' own exceptions).
    """
    url = f"{base_url.rstrip('/')}/{spec.checksum_relative_path}"
    response = session.head(url, timeout=timeout, allow_redirects=True)
    if response.status_code in (405, 501):
        with session.get(url, timeout=timeout, stream=True) as got:
            return _published(url, got.status_code)
    return _published(url, response.status_code)


def _published(url: str, status: int) -> bool:
    if status == 200:
        return True
    if status == 404:
        return False
    raise ProbeError(f"{url}: HTTP {status}")


def backoff_delay(attempts: int, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP) -> timedelta:
    """Wait after the `attempts`-th miss in a row: base, 2x base, 4x base, ... at most `cap`."""
    if attempts <= 0:
        return timedelta(0)
    return min(base * 2 ** min(attempts - 1, 32), cap)


def wait_before_deadline(
    attempts: int,
    now: datetime,
    deadline: datetime | None,
    *,
    base: timedelta = BACKOFF_BASE,
    cap: timedelta = BACKOFF_CAP,
    lead: timedelta = LOAD_LEAD,
) -> timedelta:
    """The wait after the `attempts`-th miss at `now`: `backoff_delay`, but

    - before `deadline - lead`: at most half the time left until then (never less than `base`), so the
      probes get denser towards the last moment a load can still make the deadline;
    - from there to the deadline: `base`;
    - after the deadline (the day is late): at most as long as it is late already (never less than
      `base`), so a late day is probed at deadline + 5, 10, 20, 40 min ... up to every `cap`.
    Without a deadline: plain `backoff_delay`.
    """
    wait = backoff_delay(attempts, base, cap)
    if deadline is None:
        return wait
    deadline, now = _utc(deadline), _utc(now)
    last_useful = deadline - lead
    if now < last_useful:
        return min(wait, max(base, (last_useful - now) / 2))
    if now < deadline:
        return min(wait, base)
    return min(wait, max(base, now - deadline))


@dataclass
class SymbolPoll:
    next_day: date
    attempts: int = 0
    not_before: datetime | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "next_day": self.next_day.isoformat(),
            "attempts": self.attempts,
            "not_before": self.not_before.isoformat() if self.not_before else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SymbolPoll:
        not_before = data.get("not_before")
        return cls(
            next_day=date.fromisoformat(str(data["next_day"])),
            attempts=int(data.get("attempts", 0)),
            not_before=_utc(datetime.fromisoformat(str(not_before))) if not_before else None,
        )


@dataclass
class PollState:
    """Per symbol: the day waited for, misses in a row, and when to probe next. JSON in a sensor cursor:
    `{"BTCUSDT": {"next_day": "2025-01-03", "attempts": 2, "not_before": "2025-01-04T00:45:00+00:00"}}`.
    """

    symbols: dict[str, SymbolPoll] = field(default_factory=dict)
    base: timedelta = BACKOFF_BASE
    cap: timedelta = BACKOFF_CAP
    lead: timedelta = LOAD_LEAD
    # When the `.CHECKSUM`s of recently loaded days are read again (replaced archives); None: now.
    recheck_after: datetime | None = None

    @classmethod
    def from_json(cls, text: str | None, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP) -> PollState:
        """The state in a cursor: `{"symbols": {...}, "recheck_after": ...}` (or the older bare symbol map)."""
        if text is None or not text.strip():
            return cls(base=base, cap=cap)
        try:
            data = json.loads(text)
            by_symbol = data.get("symbols", data)
            symbols = {str(s): SymbolPoll.from_dict(v) for s, v in by_symbol.items()}
            recheck = data.get("recheck_after") if "symbols" in data else None
            recheck_after = _utc(datetime.fromisoformat(recheck)) if recheck else None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a poll state: {text[:200]!r} ({exc})") from exc
        return cls(symbols=symbols, base=base, cap=cap, recheck_after=recheck_after)

    def to_json(self) -> str:
        return json.dumps(
            {
                "symbols": {s: p.to_dict() for s, p in sorted(self.symbols.items())},
                "recheck_after": self.recheck_after.isoformat() if self.recheck_after else None,
            },
            separators=(",", ":"),
        )

    def recheck_due(self, now: datetime) -> bool:
        return self.recheck_after is None or self.recheck_after <= _utc(now)

    def rechecked(self, now: datetime, interval: timedelta = RECHECK_INTERVAL) -> None:
        self.recheck_after = _utc(now) + interval

    def expect(self, symbol: str, day: date) -> None:
        """Wait for `day` (the warehouse's next expected day) unless already waiting for it or a later one.

        Later days stay: their runs were requested and may not have loaded yet (or failed: the failure
        sensor reports that; the poller does not retry a requested day).
        """
        current = self.symbols.get(symbol)
        if current is None or current.next_day < day:
            self.symbols[symbol] = SymbolPoll(day)

    def retain(self, symbols: Iterable[str]) -> None:
        """Forget symbols that are no longer configured."""
        keep = set(symbols)
        self.symbols = {s: p for s, p in self.symbols.items() if s in keep}

    def next_day(self, symbol: str) -> date:
        return self.symbols[symbol].next_day

    def due(self, now: datetime) -> list[str]:
        """Symbols to probe now: their backoff ran out and the day they wait for is over (UTC)."""
        now = _utc(now)
        return sorted(
            s
            for s, p in self.symbols.items()
            if p.next_day < now.date() and (p.not_before is None or p.not_before <= now)
        )

    def missing(self, symbol: str, now: datetime, deadline: datetime | None = None) -> timedelta:
        """The day is not published yet: back off (`wait_before_deadline` of the day's `deadline`).
        Returns the wait."""
        poll = self.symbols[symbol]
        poll.attempts += 1
        wait = wait_before_deadline(poll.attempts, now, deadline, base=self.base, cap=self.cap, lead=self.lead)
        poll.not_before = _utc(now) + wait
        return wait

    def published(self, symbol: str) -> date:
        """The day is published (its run requested): wait for the next day, backoff reset. Returns it."""
        poll = self.symbols[symbol]
        self.symbols[symbol] = SymbolPoll(poll.next_day + timedelta(days=1))
        return self.symbols[symbol].next_day


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
