"""/api/v3/exchangeInfo over a warehouse with a symbol universe: every universe row listed with its status
(TRADING, BREAK for the delisted), its assets and Binance's per-symbol shape; Binance's query forms (symbol,
symbols, permissions, showPermissionSets, symbolStatus) and their documented errors; a new universe served at the
next warehouse version; the same answers on PostgreSQL; the fallback of a warehouse without the table.

Expectations come from the rows written into raw.symbol_universe (tests/support/universe.py `sample_rows`) and from
Binance's documentation (binance-spot-api-docs: rest-api.md "Exchange information", errors.md, enums.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from support.universe import Row, sample_rows

pytestmark = pytest.mark.xdist_group("api")
DAY_MS = 1735689600000
# rest-api.md's sample symbol entry, in its order.
DOCUMENTED_KEYS = [
    "symbol", "status", "baseAsset", "baseAssetPrecision", "quoteAsset", "quotePrecision", "quoteAssetPrecision",
    "baseCommissionPrecision", "quoteCommissionPrecision", "orderTypes", "icebergAllowed", "ocoAllowed", "otoAllowed",
    "opoAllowed", "quoteOrderQtyMarketAllowed", "allowTrailingStop", "cancelReplaceAllowed", "amendAllowed",
    "pegInstructionsAllowed", "isSpotTradingAllowed", "isMarginTradingAllowed", "filters", "permissions",
    "permissionSets", "defaultSelfTradePreventionMode", "allowedSelfTradePreventionModes",
]
ROWS = sample_rows()


def _info(client, **params):
    r = client.get("/api/v3/exchangeInfo", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _expected(rows):
    return [(r.symbol, r.status, r.base_asset, r.quote_asset) for r in sorted(rows, key=lambda r: r.symbol)]


def _listed(body):
    return [(s["symbol"], s["status"], s["baseAsset"], s["quoteAsset"]) for s in body["symbols"]]


def test_lists_every_universe_row_with_its_status_and_binances_shape(universe_client):
    body = _info(universe_client)
    assert list(body)[:5] == ["timezone", "serverTime", "rateLimits", "exchangeFilters", "symbols"]
    assert body["timezone"] == "UTC" and abs(body["serverTime"] - dt.datetime.now(dt.UTC).timestamp() * 1000) < 5000
    assert body["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT" and body["exchangeFilters"] == []
    assert _listed(body) == _expected(ROWS)
    statuses = {s["symbol"]: s["status"] for s in body["symbols"]}
    assert statuses["LUNAUSDT"] == statuses["WAVESBTC"] == "BREAK" and statuses["BTCUSDT"] == "TRADING"
    for entry in body["symbols"]:
        assert list(entry) == DOCUMENTED_KEYS
        assert {f["filterType"] for f in entry["filters"]} >= {"PRICE_FILTER", "LOT_SIZE"}
        assert entry["permissionSets"] == [["SPOT"]] and entry["permissions"] == []


def test_symbol_and_symbols_name_listings_including_delisted_ones(universe_client):
    assert _listed(_info(universe_client, symbol="LUNAUSDT")) == [("LUNAUSDT", "BREAK", "LUNA", "USDT")]
    names = ["SOLBTC", "BTCUSDT", "WAVESBTC"]
    by = {r.symbol: r for r in ROWS}
    got = _info(universe_client, symbols=json.dumps(names))
    assert _listed(got) == [(n, by[n].status, by[n].base_asset, by[n].quote_asset) for n in names]


@pytest.mark.parametrize("status", ["TRADING", "BREAK", "HALT"])
def test_symbol_status_filters(universe_client, status):
    assert _listed(_info(universe_client, symbolStatus=status)) == _expected([r for r in ROWS if r.status == status])


def test_permissions_and_permission_sets(universe_client):
    everything = _expected(ROWS)
    # Every served symbol is a spot symbol (permissionSets [["SPOT"]]): the default (SPOT, MARGIN or LEVERAGED),
    # SPOT and a list holding SPOT list them all; MARGIN alone lists none.
    assert _listed(_info(universe_client, permissions="SPOT")) == everything
    assert _listed(_info(universe_client, permissions='["MARGIN","SPOT"]')) == everything
    assert _info(universe_client, permissions="MARGIN")["symbols"] == []
    assert _info(universe_client, permissions='["TRD_GRP_004"]')["symbols"] == []
    hidden = _info(universe_client, showPermissionSets="false", symbolStatus="BREAK")
    assert _listed(hidden) == _expected([r for r in ROWS if r.status == "BREAK"])
    assert [s["permissionSets"] for s in hidden["symbols"]] == [[], []]
    assert all(s["permissionSets"] == [["SPOT"]] for s in _info(universe_client, showPermissionSets="true")["symbols"])


@pytest.mark.parametrize(("params", "code", "msg"), [
    ({"symbol": "NOPEUSDT"}, -1121, "Invalid symbol."),
    ({"symbols": '["BTCUSDT","NOPEUSDT"]'}, -1121, "Invalid symbol."),
    ({"symbol": "btcusdt"}, -1121, "Invalid symbol."),
    ({"symbols": '["BTCUSDT","BTCUSDT"]'}, -1151, "Symbol is present multiple times in the list."),
    ({"symbols": "BTCUSDT"}, -1100, "Illegal characters found in parameter 'symbols'."),
    ({"symbols": "[]"}, -1130, "Data sent for parameter 'symbols' is not valid."),
    ({"symbol": "BTCUSDT", "symbols": '["ETHUSDT"]'}, -1128, "Combination of optional parameters invalid."),
    ({"symbol": "BTCUSDT", "symbolStatus": "TRADING"}, -1128, "Combination of optional parameters invalid."),
    ({"symbols": '["BTCUSDT"]', "permissions": "SPOT"}, -1128, "Combination of optional parameters invalid."),
    ({"symbolStatus": "DELISTED"}, -1122, "Invalid symbolStatus."),
    ({"symbolStatus": "trading"}, -1122, "Invalid symbolStatus."),
    ({"permissions": "FUTURES"}, -1130, "Data sent for parameter 'permissions' is not valid."),
    ({"permissions": '["SPOT",'}, -1100, "Illegal characters found in parameter 'permissions'."),
    ({"showPermissionSets": "yes"}, -1130, "Data sent for parameter 'showPermissionSets' is not valid."),
])
def test_documented_errors(universe_client, params, code, msg):
    r = universe_client.get("/api/v3/exchangeInfo", params=params)
    assert r.status_code == 400 and r.json() == {"code": code, "msg": msg}


def test_data_paths_accept_every_listed_symbol(universe_client):
    # Listed without data: valid, no klines (Binance's answer for a symbol with no trades in the window).
    r = universe_client.get("/api/v3/klines", params={"symbol": "PEPEFDUSD", "interval": "1m", "startTime": DAY_MS})
    assert r.status_code == 200 and r.json() == []
    r = universe_client.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1h", "startTime": DAY_MS,
                                                     "limit": 3})
    assert r.status_code == 200 and len(r.json()) == 3
    r = universe_client.get("/api/v3/klines", params={"symbol": "NOPEUSDT", "interval": "1m"})
    assert r.status_code == 400 and r.json()["code"] == -1121


def test_a_new_universe_is_served_at_the_next_warehouse_version(api_warehouse, tmp_path, make_config):
    import shutil

    from fastapi.testclient import TestClient
    from support.universe import drop_universe, write_universe

    from binance_api.main import create_app
    from binance_assets.warehouse import DuckDBWarehouse

    shutil.copy(api_warehouse.path, tmp_path / "warehouse.duckdb")
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    rows = sample_rows()
    write_universe(wh, rows)
    with TestClient(create_app(make_config(wh, tmp_path / "data", redis_url=None))) as client:
        assert _listed(_info(client)) == _expected(rows)
        # ETHUSDT is delisted and a new symbol listed: the next version lists both changes.
        changed = [dataclasses.replace(r, status="BREAK", last_day=dt.date(2025, 1, 2)) if r.symbol == "ETHUSDT"
                   else r for r in rows] + [Row("ARBUSDT", "ARB", "USDT", "TRADING", dt.date(2025, 1, 2),
                                                               None, 1.0)]
        write_universe(wh, changed)
        assert _listed(_info(client)) == _expected(changed)
        assert _listed(_info(client, symbol="ETHUSDT")) == [("ETHUSDT", "BREAK", "ETH", "USDT")]
        # An old warehouse (no universe table): the symbols it holds, TRADING, as before the universe existed.
        drop_universe(wh)
        assert _listed(_info(client)) == [("BTCUSDT", "TRADING", "BTC", "USDT"), ("ETHUSDT", "TRADING", "ETH", "USDT")]
        r = client.get("/api/v3/exchangeInfo", params={"symbol": "SOLBTC"})
        assert r.status_code == 400 and r.json()["code"] == -1121


def test_same_answers_on_postgres(universe_client, pg_client, pg_warehouse):
    from support.universe import write_universe

    write_universe(pg_warehouse, sample_rows())
    pgc, _ = pg_client
    for params in ({}, {"symbolStatus": "BREAK"}, {"symbols": '["WAVESBTC","BTCUSDT"]'}, {"permissions": "MARGIN"},
                   {"showPermissionSets": "false"}):
        pg, duck = _info(pgc, **params), _info(universe_client, **params)
        assert pg["symbols"] == duck["symbols"], params
    assert _listed(_info(pgc)) == _expected(ROWS)
    r = pgc.get("/api/v3/exchangeInfo", params={"symbolStatus": "HALTED"})
    assert r.status_code == 400 and r.json()["code"] == -1122


@pytest.mark.parametrize("params", [{}, {"symbolStatus": "BREAK"}, {"showPermissionSets": "false"}])
def test_gzipped_when_the_client_accepts_it(universe_client, params):
    import gzip

    plain = universe_client.get("/api/v3/exchangeInfo", params=params, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["vary"] == "Accept-Encoding"
    with universe_client.stream("GET", "/api/v3/exchangeInfo", params=params,
                                headers={"Accept-Encoding": "gzip"}) as r:
        assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
        raw = b"".join(r.iter_raw())
    unzipped, expected = json.loads(gzip.decompress(raw)), plain.json()
    assert len(raw) < len(plain.content) / (4 if not params else 1)
    assert abs(unzipped.pop("serverTime") - expected.pop("serverTime")) < 5000
    assert unzipped == expected
