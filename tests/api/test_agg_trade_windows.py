"""/api/v3/aggTrades windows as Binance's spot docs define them, on both engines and both DuckDB paths,
against the raw rows selected here with pandas.

Binance (binance-spot-api-docs: rest-api.md "Compressed/Aggregate trades list", web-socket-api.md
"trades.aggregate", CHANGELOG 2022-05-17 and 2022-12-05):
- fromId: the trades with aggregate id >= fromId, in id order; limit default 500, max 1000;
- fromId cannot be used together with startTime and endTime (-1128, "Combination of optional parameters
  invalid.", Binance's code for a combination it does not accept);
- startTime/endTime filter by the trade time T, both inclusive; with startTime the oldest `limit` trades
  from it; with endTime alone the trades before it, up to `limit` (the most recent); the one-hour limit
  on startTime..endTime was removed from the spot API on 2022-12-05 (it still holds on USD-M futures);
- nothing sent: the most recent `limit` trades.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from binance_api.services import market_data as md
from binance_assets.binance import rest_shapes as rs
from binance_assets.warehouse.snapshots import DuckDBSnapshotReader

pytestmark = pytest.mark.xdist_group("api")

D0 = 1735689600000  # 2025-01-01T00:00:00Z
HOUR = 3_600_000


@pytest.fixture(scope="module")
def raw(api_warehouse) -> dict[str, pd.DataFrame]:
    rows = api_warehouse.query("SELECT * FROM raw.spot_agg_trades ORDER BY symbol, agg_trade_id")
    rows["T"] = rows["trade_time"].astype("datetime64[us]").astype("int64") // 1000  # ms, floored
    return {s: g.reset_index(drop=True) for s, g in rows.groupby("symbol")}


def objects(rows: pd.DataFrame) -> list[dict]:
    return [rs.agg_trade_obj(r.agg_trade_id, r.price, r.qty, r.first_trade_id, r.last_trade_id, r.T,
                             r.is_buyer_maker, r.is_best_match) for r in rows.itertuples()]


def expected(rows: pd.DataFrame, from_id=None, start=None, end=None, limit=500) -> list[dict]:
    keep = pd.Series(True, index=rows.index)
    if from_id is not None:
        keep &= rows["agg_trade_id"] >= from_id
    if start is not None:
        keep &= rows["T"] >= start
    if end is not None:
        keep &= rows["T"] <= end
    chosen = rows[keep].sort_values("agg_trade_id")
    limit = min(limit, 1000)
    return objects(chosen.head(limit) if (from_id is not None or start is not None) else chosen.tail(limit))


def cases(rows: pd.DataFrame) -> list[dict]:
    first = int(rows["agg_trade_id"].iloc[0])
    return [
        {"startTime": D0 + HOUR + 17, "endTime": D0 + 4 * HOUR + 5, "limit": 1000},  # 3 hours: no -1127 on spot
        {"startTime": D0 + 26 * HOUR, "endTime": D0 + 40 * HOUR, "limit": 7},  # the oldest of the window
        {"startTime": D0 + 30 * HOUR + 1},
        {"endTime": D0 + 20 * HOUR + 123, "limit": 40},  # endTime alone: the most recent up to it
        {"endTime": D0 + 90},  # before almost every trade: what there is
        {"endTime": int(rows["T"].iloc[700])},  # inclusive of its millisecond
        {"startTime": int(rows["T"].iloc[300]), "endTime": int(rows["T"].iloc[300])},
        {},
        {"limit": 3},
        {"fromId": first + 250, "limit": 1000},
        {"fromId": first + 1500},
        {"fromId": first, "limit": 5000},  # capped at 1000
        {"fromId": 0, "limit": 2},
        {"fromId": first + 10_000_000},
    ]


def _expected_for(rows, params) -> list[dict]:
    return expected(rows, params.get("fromId"), params.get("startTime"), params.get("endTime"),
                    params.get("limit", 500))


def test_duckdb_app_and_sql_path_answer_binance_windows(client, api_warehouse, raw, tmp_path):
    reader = DuckDBSnapshotReader(api_warehouse.path, tmp_path / "snapshots")
    with reader.session() as session:
        for symbol, rows in raw.items():
            for params in cases(rows):
                want = _expected_for(rows, params)
                r = client.get("/api/v3/aggTrades", params={"symbol": symbol, **params})
                assert r.status_code == 200, (params, r.text)
                assert r.json() == want, params
                sql = md.sql_agg_trades_json(session, symbol, params.get("fromId"), params.get("startTime"),
                                             params.get("endTime"), min(params.get("limit", 500), 1000))
                assert json.loads(sql) == want, params
    reader.close()


def test_postgres_answers_binance_windows(pg_client, raw):
    client, _ = pg_client
    rows = raw["BTCUSDT"]
    for params in cases(rows):
        r = client.get("/api/v3/aggTrades", params={"symbol": "BTCUSDT", **params})
        assert r.status_code == 200, (params, r.text)
        assert r.json() == _expected_for(rows, params), params


@pytest.mark.parametrize("times", [{"startTime": D0}, {"endTime": D0 + HOUR}, {"startTime": D0, "endTime": D0 + 60}])
def test_from_id_with_a_time_is_refused(client, pg_client, raw, times):
    for c in (client, pg_client[0]):
        r = c.get("/api/v3/aggTrades", params={"symbol": "BTCUSDT", "fromId": int(raw["BTCUSDT"].agg_trade_id[5]),
                                               **times})
        assert r.status_code == 400
        assert r.json() == {"code": -1128, "msg": "Combination of optional parameters invalid."}


def test_from_id_pages_through_the_whole_history(client, pg_client, raw):
    """Paging by fromId (the last id + 1, Binance's recipe) returns every trade once, in id order."""
    for c, symbol in ((client, "ETHUSDT"), (pg_client[0], "BTCUSDT")):
        rows = raw[symbol]
        got, from_id = [], 0
        while True:
            page = c.get("/api/v3/aggTrades", params={"symbol": symbol, "fromId": from_id, "limit": 333}).json()
            got += page
            if len(page) < 333:
                break
            from_id = page[-1]["a"] + 1
        assert got == objects(rows)
