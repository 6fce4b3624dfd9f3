"""Round trips simulator -> exchangeInfo -> universe -> symbols_on(day), over REST (the REST simulator through
`BinanceRestClient`) and over a local mirror; the mirror holds byte for byte what the REST simulator serves;
a refresh asks for candles only for symbols it does not know yet."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from binance_assets.binance.errors import UniverseError
from binance_assets.binance.rest_client import BinanceRestClient
from binance_assets.binance.rest_sim_market import SimMarket
from binance_assets.binance.rest_simulator import RestSimulator
from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.sim_universe import make_universe
from binance_assets.binance.simulator import simulate_day, simulate_universe_mirror
from binance_assets.binance.universe import SymbolUniverse
from binance_assets.binance.universe_source import (
    MirrorUniverseSource,
    RestUniverseSource,
    refresh_listings,
    source_from_settings,
)
from binance_assets.settings import Settings

START = date(2025, 1, 1)
END = START + timedelta(days=9)
SEED = 4
# seed 4: BSGQYUSDC listed on 01-05, IEFUSDT on 01-10 (the last day), JGEHBTC's last trading day 01-09,
# SHWFIUSDT's 01-14 (after the window), FOAIWUSDT listed on 01-15 (the test asserts what it relies on).
UNIVERSE = make_universe(10, start=START, seed=SEED, names=["ZZTOP1"], total_trades=3000)


def window_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def expected_on(day: date, end: date = END) -> list[str]:
    """From the simulator's listing days and the rules, written out: listed on or before `day`, not after its
    last trading day, and inside the simulated window."""
    return sorted(
        s.symbol for s in UNIVERSE
        if START <= day <= end and s.first_day <= day and (s.last_day is None or day <= s.last_day)
    )  # fmt: skip


def klines_requests(sim: RestSimulator) -> Counter:
    return Counter(r.path for r in sim.requests if r.path == "/api/v3/klines")


def test_the_seed_has_a_listing_and_a_delisting_inside_the_window():
    assert any(START < s.first_day <= END for s in UNIVERSE)
    assert any(s.last_day is not None and s.last_day < END for s in UNIVERSE)
    assert any(s.last_day is not None and s.last_day > END for s in UNIVERSE)


def test_rest_round_trip_and_a_cheap_daily_refresh():
    market = SimMarket.for_universe(UNIVERSE, START, END)
    with RestSimulator(market) as sim:
        source = RestUniverseSource(BinanceRestClient(sim.base_url))
        listings = refresh_listings(source, None, END + timedelta(days=1))
        universe = SymbolUniverse(listings)
        assert {d: universe.symbols_on(d) for d in window_days(START - timedelta(days=2), END)} == {
            d: expected_on(d) for d in window_days(START - timedelta(days=2), END)
        }
        by_symbol = {x.symbol: x for x in listings}
        assert {s: x.status for s, x in by_symbol.items() if x.status != "TRADING"} == {"JGEHBTC": "BREAK"}
        assert by_symbol["JGEHBTC"].last_day == date(2025, 1, 9)
        assert by_symbol["IEFUSDT"].first_day == END and by_symbol["BSGQYUSDC"].first_day == date(2025, 1, 5)
        assert by_symbol["SHWFIUSDT"].last_day is None  # delisted after the window: still TRADING on END
        assert by_symbol["ZZTOP1"].quote_asset == "TOP1" and "FOAIWUSDT" not in by_symbol  # listed after END
        # The 24 h quote volume: the sum of the last day's trades' quote amounts; 0 for the delisted symbol.
        for s in UNIVERSE.known_on(END):
            if s.symbol == "JGEHBTC":
                assert by_symbol[s.symbol].quote_volume == 0.0
                continue
            trades = simulate_day(s.symbol, END, SEED, s.trades_per_day).trades
            assert by_symbol[s.symbol].quote_volume == pytest.approx(sum(trades.column("quote_qty").to_pylist()))
        # 9 new symbols (FOAIWUSDT is listed after END): 9 first candles + the BREAK one's last candle.
        assert klines_requests(sim) == {"/api/v3/klines": 10}
        sim.reset()
        assert refresh_listings(source, universe, END + timedelta(days=1)) == listings
        assert klines_requests(sim) == {}  # nothing new: exchangeInfo and the tickers only
    later = START + timedelta(days=20)
    with RestSimulator(SimMarket.for_universe(UNIVERSE, START, later)) as sim:
        source = RestUniverseSource(BinanceRestClient(sim.base_url))
        refreshed = SymbolUniverse(refresh_listings(source, universe, later))
        # SHWFIUSDT went to BREAK (one last candle), FOAIWUSDT was listed on 01-15 (one first candle).
        assert klines_requests(sim) == {"/api/v3/klines": 2}
        assert refreshed.listing("SHWFIUSDT").last_day == date(2025, 1, 14)
        assert refreshed.listing("FOAIWUSDT").first_day == date(2025, 1, 15)
        assert refreshed.symbols_on(date(2025, 1, 15)) == expected_on(date(2025, 1, 15), later)


def test_the_first_daily_candle_is_the_listing_day_of_the_trades():
    market = SimMarket.for_universe(UNIVERSE, START, END)
    listed = UNIVERSE.get("BSGQYUSDC")
    assert listed is not None
    with RestSimulator(market) as sim:
        client = BinanceRestClient(sim.base_url, time_unit=None)  # Binance's default: milliseconds
        [candle] = client.klines("BSGQYUSDC", "1d", start_time=0, limit=1)
        [last] = client.klines("JGEHBTC", "1d", limit=1)
    trades = simulate_day("BSGQYUSDC", listed.first_day, SEED, listed.trades_per_day).trades.to_pydict()
    midnight_ms = (listed.first_day - date(1970, 1, 1)).days * 86_400_000
    assert candle[0] == midnight_ms and candle[6] == midnight_ms + 86_400_000 - 1
    assert float(candle[1]) == trades["price"][0] and float(candle[4]) == trades["price"][-1]
    assert float(candle[2]) == max(trades["price"]) and float(candle[3]) == min(trades["price"])
    assert candle[8] == len(trades["trade_id"])
    assert float(candle[5]) == pytest.approx(sum(trades["qty"]))
    assert last[0] == (date(2025, 1, 9) - date(1970, 1, 1)).days * 86_400_000


def test_the_mirror_holds_what_the_rest_simulator_serves_and_gives_the_same_universe(tmp_path: Path):
    done = simulate_universe_mirror(tmp_path, UNIVERSE, START, 10, kinds=[ArchiveKind.KLINES])
    server_ms = (END - date(1970, 1, 1)).days * 86_400_000 + 86_400_000
    market = SimMarket.for_universe(UNIVERSE, START, END)
    with RestSimulator(market, clock=lambda: server_ms / 1000) as sim:
        info = requests.get(f"{sim.base_url}/api/v3/exchangeInfo", timeout=10).content
        tickers = requests.get(f"{sim.base_url}/api/v3/ticker/24hr", params={"type": "MINI"}, timeout=10).content
        rest = refresh_listings(RestUniverseSource(BinanceRestClient(sim.base_url)), None, END)
    assert done.exchange_info.read_bytes() == info
    assert done.ticker_24hr.read_bytes() == tickers
    assert [s["status"] for s in json.loads(info)["symbols"]].count("BREAK") == 1
    mirrored = refresh_listings(MirrorUniverseSource(tmp_path), None, END)
    assert mirrored == rest
    # Independently of the code: the day's symbols are the ones with an archive of that day in the mirror.
    universe = SymbolUniverse(mirrored)
    for d in window_days(START, END):
        on_disk = sorted(p.parent.parent.name for p in tmp_path.glob(f"data/spot/daily/klines/*/1m/*-1m-{d}.zip"))
        assert universe.symbols_on(d) == on_disk == expected_on(d)


def test_a_mirror_refresh_follows_exchange_info_changes(tmp_path: Path):
    simulate_universe_mirror(tmp_path, UNIVERSE, START, 10, kinds=[ArchiveKind.TRADES])
    source = MirrorUniverseSource(tmp_path)
    first = SymbolUniverse(refresh_listings(source, None, END))
    info_path = tmp_path / "api/v3/exchangeInfo"
    info = json.loads(info_path.read_bytes())
    entries = {s["symbol"]: s for s in info["symbols"]}
    entries["JGEHBTC"]["status"] = "TRADING"  # relisted
    del entries["DTUUSDT"]  # removed by Binance without a BREAK first
    info["symbols"] = list(entries.values())
    info_path.write_text(json.dumps(info))
    after = SymbolUniverse(refresh_listings(source, first, END + timedelta(days=3)))
    assert after.listing("JGEHBTC").last_day is None and after.listing("JGEHBTC").first_day == START
    gone = after.listing("DTUUSDT")
    assert (gone.status, gone.last_day) == ("BREAK", END)  # its last archive in the mirror
    assert after.symbols_on(END + timedelta(days=1)) == sorted(set(expected_on(END)) - {"DTUUSDT"} | {"JGEHBTC"})


def test_a_mirror_without_exchange_info_says_what_writes_one(tmp_path: Path):
    with pytest.raises(UniverseError, match=r"no exchangeInfo in the mirror .*simulate --universe N"):
        refresh_listings(MirrorUniverseSource(tmp_path), None, END)


def test_the_source_follows_the_settings(tmp_path: Path):
    local = source_from_settings(Settings(data_dir=tmp_path))
    assert isinstance(local, MirrorUniverseSource) and local.mirror_dir == tmp_path / "mirror"
    remote = source_from_settings(
        Settings(data_dir=tmp_path, archive_base_url="https://data.binance.vision", rest_base_url="https://x.test")
    )
    assert isinstance(remote, RestUniverseSource) and remote.client.base_url == "https://x.test"
