"""The symbol universe's rules (binance_assets.binance.universe), against expectations written from the rules:
a symbol listed on D is expected from D; a delisted (BREAK) one up to its last trading day; filters are ANDed,
the deny-list wins, an unknown volume fails a minimum, an allow-listed name the universe lacks is an error.
And exchangeInfo parsing on Binance's real response (shared fixtures)."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from binance_assets.binance.errors import UniverseError, UnknownSymbol
from binance_assets.binance.universe import (
    ExchangeSymbol,
    Listing,
    SymbolUniverse,
    listings_from_exchange_info,
    parse_exchange_info,
)

D = date(2021, 3, 10)


def day(n: int) -> date:
    return D + timedelta(days=n)


@pytest.fixture
def real_exchange_info(fixtures_dir: Path) -> dict:
    """Binance's real spot exchangeInfo (2021-10-22, trimmed to BTCUSDT and ETHUSDT by its source)."""
    return json.loads((fixtures_dir / "rest" / "exchange_info_spot.json").read_text())


# --- exchangeInfo ----------------------------------------------------------------------------------------------


def test_parses_the_real_spot_exchange_info(real_exchange_info):
    payload = real_exchange_info
    assert parse_exchange_info(payload) == [
        ExchangeSymbol("BTCUSDT", "BTC", "USDT", "TRADING"),
        ExchangeSymbol("ETHUSDT", "ETH", "USDT", "TRADING"),
    ]


def test_exchange_info_with_a_delisted_symbol_and_a_name_the_archive_cannot_hold(real_exchange_info):
    payload = real_exchange_info
    gone = copy.deepcopy(payload["symbols"][1]) | {"symbol": "ETHBTC", "status": "BREAK", "quoteAsset": "BTC"}
    odd = copy.deepcopy(payload["symbols"][0]) | {"symbol": "币安人生USDT", "baseAsset": "币安人生"}
    payload["symbols"] += [gone, odd]
    parsed = parse_exchange_info(payload)
    assert [(s.symbol, s.status, s.archivable) for s in parsed] == [
        ("BTCUSDT", "TRADING", True), ("ETHUSDT", "TRADING", True), ("ETHBTC", "BREAK", True),
        ("币安人生USDT", "TRADING", False),
    ]  # fmt: skip
    listings = listings_from_exchange_info(
        parsed, {"BTCUSDT": day(0), "ETHBTC": day(1), "币安人生USDT": day(2)}, {"ETHBTC": day(5)}, {"BTCUSDT": 9.5}
    )
    # ETHUSDT has no first candle (not trading yet): out; the non-archivable name: out.
    assert listings == [
        Listing("BTCUSDT", "BTC", "USDT", "TRADING", day(0), None, 9.5),
        Listing("ETHBTC", "ETH", "BTC", "BREAK", day(1), day(5), None),
    ]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p.pop("symbols"), "expected an object with a 'symbols' list"),
        (lambda p: p["symbols"][1].pop("baseAsset"), "symbols[1] (ETHUSDT): 'baseAsset' must be a non-empty string"),
        (lambda p: p["symbols"][0].update(status="DELISTED"), "unknown status 'DELISTED'"),
        (lambda p: p["symbols"][1].update(symbol="BTCUSDT"), "BTCUSDT is listed twice"),
        (lambda p: p["symbols"].append("BNBUSDT"), "symbols[2]: expected an object, got str"),
    ],
)
def test_bad_exchange_info_is_a_specific_error(real_exchange_info, mutate, message):
    payload = real_exchange_info
    mutate(payload)
    with pytest.raises(UniverseError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        parse_exchange_info(payload)


# --- listing rules ---------------------------------------------------------------------------------------------


def universe() -> SymbolUniverse:
    return SymbolUniverse(
        [
            Listing("BTCUSDT", "BTC", "USDT", "TRADING", day(0), quote_volume=5e9),
            Listing("NEWUSDC", "NEW", "USDC", "TRADING", day(3), quote_volume=2e5),  # listed on day 3
            Listing("OLDBTC", "OLD", "BTC", "BREAK", day(0), day(5), quote_volume=1e3),  # last trading day 5
            Listing("HALTUSDT", "HALT", "USDT", "HALT", day(1)),  # halted, not delisted; volume unknown
            Listing("ONEDAYETH", "ONEDAY", "ETH", "BREAK", day(4), day(4), quote_volume=0.0),
        ]
    )


def test_a_symbol_is_expected_from_its_listing_day_and_until_its_last_trading_day():
    u = universe()
    # Written from the rules, day by day.
    expected = {
        -1: [],
        0: ["BTCUSDT", "OLDBTC"],
        1: ["BTCUSDT", "HALTUSDT", "OLDBTC"],
        2: ["BTCUSDT", "HALTUSDT", "OLDBTC"],
        3: ["BTCUSDT", "HALTUSDT", "NEWUSDC", "OLDBTC"],
        4: ["BTCUSDT", "HALTUSDT", "NEWUSDC", "OLDBTC", "ONEDAYETH"],
        5: ["BTCUSDT", "HALTUSDT", "NEWUSDC", "OLDBTC"],
        6: ["BTCUSDT", "HALTUSDT", "NEWUSDC"],
        400: ["BTCUSDT", "HALTUSDT", "NEWUSDC"],
    }
    assert {n: u.symbols_on(day(n)) for n in expected} == expected
    assert u.symbols_between(day(-5), day(-1)) == []
    assert u.symbols_between(day(6), day(9)) == ["BTCUSDT", "HALTUSDT", "NEWUSDC"]
    assert u.symbols_between(day(4), day(4)) == ["BTCUSDT", "HALTUSDT", "NEWUSDC", "OLDBTC", "ONEDAYETH"]
    assert u.symbols_between(day(-3), day(0)) == ["BTCUSDT", "OLDBTC"]


def test_filters_are_anded_and_the_deny_list_wins():
    u = universe()
    every = ["BTCUSDT", "HALTUSDT", "NEWUSDC", "OLDBTC", "ONEDAYETH"]
    assert u.filtered().symbols == every
    assert u.filtered(quote_assets=["USDT", "USDC"]).symbols == ["BTCUSDT", "HALTUSDT", "NEWUSDC"]
    assert u.filtered(allow=["OLDBTC", "NEWUSDC"]).symbols == ["NEWUSDC", "OLDBTC"]
    assert u.filtered(allow=["OLDBTC", "NEWUSDC"], deny=["OLDBTC"]).symbols == ["NEWUSDC"]
    assert u.filtered(allow=["OLDBTC", "NEWUSDC"], quote_assets=["BTC"]).symbols == ["OLDBTC"]
    assert u.filtered(deny=["BTCUSDT"]).symbols == ["HALTUSDT", "NEWUSDC", "OLDBTC", "ONEDAYETH"]
    # A minimum: volumes 5e9, 2e5, 1e3, unknown, 0.0; unknown fails; the minimum itself passes.
    assert u.filtered(min_quote_volume=1e3).symbols == ["BTCUSDT", "NEWUSDC", "OLDBTC"]
    assert u.filtered(min_quote_volume=2e5 + 1).symbols == ["BTCUSDT"]
    assert u.filtered(min_quote_volume=0).symbols == every
    # The filtered universe keeps the listing rules.
    assert u.filtered(quote_assets=["USDC", "BTC"]).symbols_on(day(2)) == ["OLDBTC"]
    assert u.filtered(quote_assets=["USDC", "BTC"]).symbols_on(day(6)) == ["NEWUSDC"]


def test_an_allow_list_of_any_names_works_and_one_the_universe_lacks_is_named():
    names = ["ZZTOP1", "A1B2C3", "QQ"]
    u = SymbolUniverse(Listing(n, n, "X", "TRADING", day(i)) for i, n in enumerate(names))
    assert u.filtered(allow=["QQ", "ZZTOP1"]).symbols_on(day(2)) == ["QQ", "ZZTOP1"]
    assert u.filtered(allow=["QQ", "ZZTOP1"]).symbols_on(day(1)) == ["ZZTOP1"]
    with pytest.raises(UniverseError, match="does not list: NOPE1, NOPE2"):
        u.filtered(allow=["ZZTOP1", "NOPE2", "NOPE1"])
    with pytest.raises(UniverseError, match="a list of names, not the string"):
        u.filtered(allow="ZZTOP1")
    for bad in (-1.0, float("nan"), float("inf"), True):
        with pytest.raises(UniverseError, match="min_quote_volume"):
            u.filtered(min_quote_volume=bad)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"status": "BREAK"}, UniverseError, "status BREAK needs its last trading day"),
        ({"last_day": day(3)}, UniverseError, "only a BREAK symbol has a last_day"),
        ({"status": "BREAK", "last_day": day(-1)}, UniverseError, "is before first_day"),
        ({"status": "GONE"}, UniverseError, "unknown status 'GONE'"),
        ({"symbol": "btc-usdt"}, UnknownSymbol, "is not a Binance symbol"),
        ({"quote_asset": ""}, UniverseError, "quote_asset must be a non-empty string"),
        ({"first_day": datetime(2021, 3, 10)}, UniverseError, "first_day must be a date"),
        ({"quote_volume": -1.0}, UniverseError, "quote_volume must be a finite number"),
    ],
)
def test_an_inconsistent_listing_is_refused(kwargs, error, message):
    fields = {"symbol": "BTCUSDT", "base_asset": "BTC", "quote_asset": "USDT", "status": "TRADING", "first_day": D}
    with pytest.raises(error, match=message):
        Listing(**(fields | kwargs))


def test_a_symbol_listed_twice_is_refused():
    listing = Listing("BTCUSDT", "BTC", "USDT", "TRADING", D)
    with pytest.raises(UniverseError, match="BTCUSDT is listed twice"):
        SymbolUniverse([listing, listing])
    with pytest.raises(UniverseError, match="not in the universe"):
        SymbolUniverse([listing]).listing("ETHUSDT")
