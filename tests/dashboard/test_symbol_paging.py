"""The dashboard's symbol pages without a browser: filters, sorts and pages over a hand-written universe; the
heat map's statuses over listings (a day before a listing or after a delisting is `unlisted`, not `missing`) and
each symbol's problems; the data routes' answers and refusals over a warehouse with raw.symbol_universe.
Expectations are written from the rows, by hand."""

from __future__ import annotations

import datetime as dt
import secrets
from contextlib import contextmanager

import pytest
from support.universe import Row, write_universe
from warehouse.helpers import load, sample

from binance_api.dashboard.health_grid import build_grid, masks, page_tables, problems
from binance_api.dashboard.symbols import BadQuery, SymbolQuery, facets, parse_query, select
from binance_api.services.universe import Listing
from binance_assets.warehouse.table_names import SYMBOL_DAILY_TABLE

pytestmark = pytest.mark.xdist_group("dashboard")
D = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(4)]
LISTINGS = [
    Listing("BTCUSDT", "BTC", "USDT", "TRADING", None, None, 9e9),
    Listing("ETHBTC", "ETH", "BTC", "TRADING", None, None, 5e6),
    Listing("LUNAUSDT", "LUNA", "USDT", "BREAK", None, dt.date(2022, 5, 12), 0.0),
    Listing("SOLBTC", "SOL", "BTC", "TRADING", None, None, 3e7),
    Listing("BTCFDUSD", "BTC", "FDUSD", "TRADING", None, None, None),
    Listing("XRPUSDT", "XRP", "USDT", "TRADING", None, None, 4e8),
    Listing("WAVESBTC", "WAVES", "BTC", "BREAK", None, dt.date(2024, 6, 3), None),
]


def _names(page) -> list[str]:
    return [x.symbol for x in page.listings]


def q(**kwargs) -> SymbolQuery:
    return SymbolQuery(**{"page_size": 50, **kwargs})


@pytest.mark.parametrize(("query", "expected"), [
    (q(text="BTC"), ["BTCUSDT", "SOLBTC", "ETHBTC", "BTCFDUSD", "WAVESBTC"]),  # by volume, none last, by name
    (q(text="BTCUSDT"), ["BTCUSDT"]),
    (q(quote="BTC"), ["SOLBTC", "ETHBTC", "WAVESBTC"]),
    (q(status="BREAK"), ["LUNAUSDT", "WAVESBTC"]),
    (q(quote="USDT", status="TRADING"), ["BTCUSDT", "XRPUSDT"]),
    (q(sort="symbol"), ["BTCFDUSD", "BTCUSDT", "ETHBTC", "LUNAUSDT", "SOLBTC", "WAVESBTC", "XRPUSDT"]),
    (q(text="DOGE"), []),
])
def test_filters_and_sorts(query, expected):
    assert _names(select(LISTINGS, query)) == expected


def test_problems_first_then_volume():
    counts = {"WAVESBTC": 3, "ETHBTC": 3, "LUNAUSDT": 1}
    assert _names(select(LISTINGS, q(sort="problems"), counts)) == [
        "ETHBTC", "WAVESBTC", "LUNAUSDT", "BTCUSDT", "XRPUSDT", "SOLBTC", "BTCFDUSD"]


def test_pages():
    by_name = q(sort="symbol", page_size=3)
    pages = [select(LISTINGS, SymbolQuery(sort="symbol", page_size=3, page=n)) for n in (1, 2, 3, 9)]
    assert [_names(p) for p in pages] == [["BTCFDUSD", "BTCUSDT", "ETHBTC"], ["LUNAUSDT", "SOLBTC", "WAVESBTC"],
                                          ["XRPUSDT"], ["XRPUSDT"]]  # past the last page: the last page
    assert [(p.number, p.pages, p.matching, p.total) for p in pages] == [(1, 3, 7, 7), (2, 3, 7, 7), (3, 3, 7, 7),
                                                                        (3, 3, 7, 7)]
    assert pages[1].describe(by_name) | {} == {"number": 2, "pages": 3, "size": 3, "matching": 7, "total": 7,
                                               "first": 4, "last": 6}
    empty = select(LISTINGS, q(text="DOGE"))
    assert (empty.number, empty.pages, empty.describe(q())["first"], empty.describe(q())["last"]) == (1, 1, 0, 0)


def test_facets_count_each_choice():
    assert facets(LISTINGS) == {
        "quotes": [{"value": "BTC", "count": 3}, {"value": "USDT", "count": 3}, {"value": "FDUSD", "count": 1}],
        "statuses": [{"value": "TRADING", "count": 5}, {"value": "BREAK", "count": 2}],
    }


def test_parse_reads_what_a_person_types_and_refuses_the_rest():
    args = {"default_sort": "volume", "default_size": 25}
    assert parse_query(" btc/usdt ", "usdt", "break", None, "2", None, **args) == SymbolQuery(
        "BTCUSDT", "USDT", "BREAK", "volume", 2, 25)
    assert parse_query(None, "", "", "problems", "", "200", **args) == SymbolQuery("", None, None, "problems", 1, 200)
    for bad, reason in [
        (("btc%", None, None, None, None, None), "letters and digits"),
        (("x" * 41, None, None, None, None, None), "up to 40"),
        ((None, "US DT", None, None, None, None), "quote must be an asset"),
        ((None, None, "trading!", None, None, None), "status must be"),
        ((None, None, None, "size", None, None), "sort must be one of volume, problems, symbol"),
        ((None, None, None, None, "0", None), "page must be from 1"),
        ((None, None, None, None, "two", None), "page must be a whole number"),
        ((None, None, None, None, None, "201"), "page_size must be from 1 to 200"),
    ]:
        with pytest.raises(BadQuery, match=reason):
            parse_query(*bad, **args)


# --- the heat map over listings -------------------------------------------------------------------------------
# spot_trades loaded: BTCUSDT every day but D[2]; OLDUSDT (delisted after D[1]) on D[0] and D[1]; NEWUSDT (listed
# from D[2]) never. ETHUSDT is held but not in the universe: listed every day as far as the page knows.
UNIVERSE = [
    Row("BTCUSDT", "BTC", "USDT", "TRADING", dt.date(2017, 8, 17), None, 5e9),
    Row("OLDUSDT", "OLD", "USDT", "BREAK", dt.date(2020, 1, 1), D[1], 0.0),
    Row("NEWUSDT", "NEW", "USDT", "TRADING", D[2], None, 1e3),
]
LOADED = [("BTCUSDT", D[0]), ("BTCUSDT", D[1]), ("BTCUSDT", D[3]), ("OLDUSDT", D[0]), ("OLDUSDT", D[1]),
          ("ETHUSDT", D[0])]
EXPECTED = {
    "BTCUSDT": ["loaded", "loaded", "missing", "loaded"],
    "OLDUSDT": ["loaded", "loaded", "unlisted", "unlisted"],
    "NEWUSDT": ["unlisted", "unlisted", "missing", "missing"],
    "ETHUSDT": ["loaded", "missing", "missing", "missing"],
}


DAILY = [("BTCUSDT", D[0]), ("OLDUSDT", D[0])]  # a derived table's rows
EXPECTED_DAILY = {
    "BTCUSDT": ["loaded", "missing", "missing", "missing"],
    "OLDUSDT": ["loaded", "missing", "unlisted", "unlisted"],
    "NEWUSDT": ["unlisted", "unlisted", "missing", "missing"],
    "ETHUSDT": ["missing", "missing", "missing", "missing"],
}


def _fill(wh) -> None:
    import pyarrow as pa

    for symbol, day in LOADED:
        wh.replace_partition("spot_trades", symbol, day, sample("spot_trades", day=day), load())
    for symbol, day in DAILY:
        wh.replace_table_partition(SYMBOL_DAILY_TABLE, symbol, day,
                                   pa.table({"symbol": [symbol], "trade_date": [day], "close": [1.0]}))
    write_universe(wh, UNIVERSE)


@pytest.fixture(scope="module")
def listed_warehouse(tmp_path_factory):
    from binance_assets.warehouse import DuckDBWarehouse

    wh = DuckDBWarehouse(tmp_path_factory.mktemp("listed") / "w.duckdb")
    _fill(wh)
    return wh


@contextmanager
def _session(engine: str, request):
    """A read session of the filled warehouse on `engine` (the API's readers)."""
    from binance_assets.warehouse.snapshots import DuckDBSnapshotReader, PostgresReader

    if engine == "duckdb":
        wh = request.getfixturevalue("listed_warehouse")
        reader = DuckDBSnapshotReader(wh.path, wh.path.parent / "snapshots")
    else:
        from binance_assets.warehouse import PostgresWarehouse

        url = request.getfixturevalue("module_postgres_url")
        _fill(PostgresWarehouse(url))
        reader = PostgresReader(url)
    try:
        with reader.session() as session:
            yield session
    finally:
        reader.close()


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_days_outside_a_listing_are_unlisted_not_missing(engine, request):
    from binance_api.dashboard.health import derived_tables
    from binance_api.services.universe import fallback_listing, listings

    with _session(engine, request) as session:
        shown, from_universe = listings(session)
        assert from_universe and [x.symbol for x in shown] == ["BTCUSDT", "NEWUSDT", "OLDUSDT"]
        shown = [*shown, fallback_listing("ETHUSDT")]
        assert derived_tables(session) == [SYMBOL_DAILY_TABLE]
        grid = build_grid(session, shown, derived_tables(session), D[0], D[3], 6.0)
    cells = masks(grid, [], {})
    trades, daily = page_tables(grid, cells, list(EXPECTED))
    assert (trades["table"], daily["table"]) == ("raw.spot_trades", SYMBOL_DAILY_TABLE)
    assert {r["symbol"]: r["cells"] for r in trades["rows"]} == EXPECTED
    assert {r["symbol"]: r["cells"] for r in daily["rows"]} == EXPECTED_DAILY
    assert problems(grid, cells) == {"BTCUSDT": 1 + 3, "NEWUSDT": 2 + 2, "OLDUSDT": 0 + 1, "ETHUSDT": 3 + 4}


@pytest.fixture(scope="module")
def dash_client(listed_warehouse, tmp_path_factory):
    from fastapi.testclient import TestClient

    from binance_api.core.security import mint_token
    from binance_api.main import create_app
    from binance_api.settings import ApiConfig, ApiSettings
    from binance_assets.settings import Environment, Settings

    core = Settings(env=Environment.LOCAL, duckdb_path=listed_warehouse.path,
                    data_dir=tmp_path_factory.mktemp("listed_data"), symbols=["BTCUSDT"])
    config = ApiConfig(api=ApiSettings(jwt_secret="paging-" + secrets.token_hex(16), redis_url=None), core=core)
    token = mint_token(config, "pager", ["market_data"], dt.timedelta(hours=1))
    with TestClient(create_app(config), cookies={"bmp_dashboard": token}) as client:
        yield client


def test_health_route_pages_problems_first(dash_client):
    r = dash_client.get("/dashboard/data/health", params={"start": D[0].isoformat(), "end": D[3].isoformat(),
                                                          "page_size": 2})
    body = r.json()
    assert r.status_code == 200, body
    # problems first (ETHUSDT 3 + 4, BTCUSDT 1 + 3 and NEWUSDT 2 + 2, then by volume, OLDUSDT 0 + 1), two a page
    assert body["symbols"] == ["ETHUSDT", "BTCUSDT"] and body["days"] == [d.isoformat() for d in D]
    assert [x["problems"] for x in body["listings"]] == [7, 4]
    assert body["page"] == {"number": 1, "pages": 2, "size": 2, "matching": 4, "total": 4, "first": 1, "last": 2}
    trades, daily = body["tables"]
    assert {r["symbol"]: r["cells"] for r in trades["rows"]} == {s: EXPECTED[s] for s in ("ETHUSDT", "BTCUSDT")}
    assert {r["symbol"]: r["cells"] for r in daily["rows"]} == {s: EXPECTED_DAILY[s] for s in ("ETHUSDT", "BTCUSDT")}
    second = dash_client.get("/dashboard/data/health", params={"start": D[0].isoformat(), "end": D[3].isoformat(),
                                                               "page_size": 2, "page": 2}).json()
    assert second["symbols"] == ["NEWUSDT", "OLDUSDT"]
    only = dash_client.get("/dashboard/data/health", params={"start": D[0].isoformat(), "end": D[3].isoformat(),
                                                             "status": "BREAK"}).json()
    assert only["symbols"] == ["OLDUSDT"] and only["page"]["matching"] == 1
    assert {f["value"] for f in only["facets"]["statuses"]} == {"TRADING", "BREAK"}


def test_symbols_route_lists_the_universe_by_volume(dash_client):
    body = dash_client.get("/dashboard/data/symbols").json()
    assert [(x["symbol"], x["status"], x["data"]) for x in body["symbols"]] == [
        ("BTCUSDT", "TRADING", True), ("NEWUSDT", "TRADING", False), ("OLDUSDT", "BREAK", True),
        ("ETHUSDT", "TRADING", True)]  # ETHUSDT: held, not in the universe, no volume: last
    assert body["with_data"] == ["BTCUSDT", "OLDUSDT"]
    assert [x["symbol"] for x in dash_client.get("/dashboard/data/symbols", params={"q": "new"}).json()["symbols"]] \
        == ["NEWUSDT"]
    r = dash_client.get("/dashboard/data/symbols", params={"sort": "problems!"})
    assert r.status_code == 400 and "sort must be one of" in r.json()["reason"]
    r = dash_client.get("/dashboard/data/health", params={"page": "-1"})
    assert r.status_code == 400 and "page must be from 1" in r.json()["reason"]
    # The market data of a listed symbol without bars is empty, not an error; an unknown one is 404.
    r = dash_client.get("/dashboard/data/market", params={"symbol": "NEWUSDT", "start": D[0].isoformat(),
                                                          "end": D[0].isoformat()})
    assert r.status_code == 200 and r.json()["candles"] == []
    assert dash_client.get("/dashboard/data/market", params={"symbol": "NOPEUSDT"}).status_code == 404
