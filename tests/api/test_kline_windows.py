"""/api/v3/klines windows as Binance cuts them, on every serving path, against klines computed in this file
from the raw trades (not from the bars the service aggregates, nor with its bucket arithmetic).

Binance's rules (rest-api.md, "Kline/Candlestick data"): klines are identified by their open time; a request
returns the klines whose open time lies in [startTime, endTime], each whole (the kline that holds endTime
keeps its trades after endTime; a startTime inside a kline starts with the next one); without startTime,
the most recent `limit` up to endTime. Intervals open at multiples of their length since the epoch, weeks
on Monday 00:00 UTC, months on the calendar month; with `timeZone` on that zone's wall clock ("kline
intervals are interpreted in that timezone"; startTime and endTime stay UTC). A minute without trades sits
at the previous close (the platform's 1m rule, Binance's convention), so a kline whose first minute has no
trade opens there.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from binance_api.services import kline_agg
from binance_api.services import market_data as md
from binance_api.services.blocks import BlockStore
from binance_assets.binance import rest_shapes as rs
from binance_assets.warehouse.snapshots import DuckDBSnapshotReader

pytestmark = pytest.mark.xdist_group("api")

D0 = 1735689600000  # 2025-01-01T00:00:00Z, the first of the API warehouse's two days (a Wednesday)
D2 = D0 + 2 * 86_400_000
MIN, HOUR = 60_000, 3_600_000
FIXED = {"1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "2h": 120, "4h": 240, "6h": 360, "8h": 480,
         "12h": 720, "1d": 1440, "3d": 4320}
INTERVALS = [*FIXED, "1w", "1M"]
# (startTime, endTime, limit): ends inside a kline, starts inside one, open ends, small limits.
WINDOWS = [
    (D0 + 10 * HOUR, D0 + 10 * HOUR + 30 * MIN, 1000),  # the issue's example: 1h from 10:00, endTime 10:30
    (D0 + 3 * HOUR + 17_000, D0 + 20 * HOUR + 31 * MIN + 5_000, 1000),
    (None, D0 + 30 * HOUR + 7 * MIN + 13_000, 500),
    (None, D0 + 30 * HOUR + 7 * MIN + 13_000, 2),
    (D0 + 5 * HOUR, None, 3),
    (D0 - 10 * 86_400_000, D0 + 36 * HOUR + 1, 1000),
    (D0 + 47 * HOUR + 59 * MIN, D2 + 5 * 86_400_000, 1000),
]


def open_of(t_ms: int, interval: str, tz: int = 0) -> int:
    """The open time (UTC ms) of the kline holding `t_ms`, read on the wall clock `tz` ms ahead of UTC: by
    the calendar (pandas) for weeks and months."""
    wall = t_ms + tz
    if interval in FIXED:
        length = FIXED[interval] * MIN
        return wall - wall % length - tz
    period = pd.Timestamp(wall, unit="ms").to_period("W-SUN" if interval == "1w" else "M")  # weeks end on Sunday
    return int(period.start_time.value // 1_000_000) - tz


def next_open(open_ms: int, interval: str, tz: int = 0) -> int:
    if interval in FIXED:
        return open_ms + FIXED[interval] * MIN
    step = pd.DateOffset(weeks=1) if interval == "1w" else pd.DateOffset(months=1)
    return int((pd.Timestamp(open_ms + tz, unit="ms") + step).value // 1_000_000) - tz


def reference_klines(trades: pd.DataFrame, interval: str, tz: int = 0) -> dict[int, list]:
    """Every kline of the trades' days keyed by open time: OHLC from the trades in trade-id order (plus the
    previous close when the kline's first minute has no trade), sums of quantities, quote quantities and
    trade counts, the taker-buy sums over trades whose buyer was not the maker."""
    t = trades.sort_values("trade_id")
    time_ms = (t["trade_time"].astype("datetime64[us]").astype("int64") // 1000).to_numpy()
    assert (time_ms[1:] >= time_ms[:-1]).all(), "trade ids in time order: a kline's trades are a run of rows"
    price, qty, quote = (t[c].to_numpy() for c in ("price", "qty", "quote_qty"))
    taker = ~t["is_buyer_maker"].to_numpy()
    out: dict[int, list] = {}
    opening = open_of(D0, interval, tz)
    while opening < D2:
        closing = next_open(opening, interval, tz) - 1
        i, j = time_ms.searchsorted(opening, "left"), time_ms.searchsorted(closing, "right")
        first_minute = max(opening, D0)
        prices = list(price[i:j])
        if not (i < j and time_ms[i] < first_minute + MIN) and i > 0:
            prices.insert(0, price[i - 1])  # the minute(s) before its first trade sit at the last close
        if not prices:
            raise AssertionError("the API warehouse has a trade in the first minute of each day")
        buy = taker[i:j]
        out[opening] = [opening, prices[0], max(prices), min(prices), prices[-1], qty[i:j].sum(), closing,
                        quote[i:j].sum(), j - i, qty[i:j][buy].sum(), quote[i:j][buy].sum()]
        opening = next_open(opening, interval, tz)
    return out


def expected(reference: dict[int, list], start: int | None, end: int | None, limit: int) -> list[list]:
    rows = [k for o, k in sorted(reference.items()) if (start is None or o >= start) and (end is None or o <= end)]
    return rows[:limit] if start is not None else rows[-limit:]


def assert_klines(got: list[list], want: list[list], where: str) -> None:
    assert [k[0] for k in got] == [k[0] for k in want], where
    for g, w in zip(got, want, strict=True):
        assert g[6] == w[6], where  # close time: the last millisecond of the kline
        assert g[1:5] == [rs.decimal_str(p) for p in w[1:5]], (where, g, w)  # trade prices: exact
        assert g[8] == w[8], (where, g, w)
        for i in (5, 7, 9, 10):  # sums of the same values in another order: equal to the printed 8 decimals
            assert float(g[i]) == pytest.approx(w[i], abs=1.5e-8), (where, i, g, w)


@pytest.fixture(scope="module")
def trades(api_warehouse) -> dict[str, pd.DataFrame]:
    raw = api_warehouse.query("SELECT symbol, trade_id, price, qty, quote_qty, trade_time, is_buyer_maker "
                              "FROM raw.spot_trades ORDER BY symbol, trade_id")
    return {s: g.drop_duplicates("trade_id") for s, g in raw.groupby("symbol")}


@pytest.fixture(scope="module")
def references(trades) -> dict[tuple[str, str], dict[int, list]]:
    return {(s, iv): reference_klines(t, iv) for s, t in trades.items() for iv in INTERVALS}


@pytest.fixture(scope="module")
def duck_session(api_warehouse, tmp_path_factory):
    reader = DuckDBSnapshotReader(api_warehouse.path, tmp_path_factory.mktemp("kw_snapshots"))
    with reader.session() as session:
        yield session
    reader.close()


def _params(symbol, interval, start, end, limit, time_zone=None) -> dict:
    p = {"symbol": symbol, "interval": interval, "limit": limit}
    p |= {"timeZone": time_zone} if time_zone is not None else {}
    return p | ({"startTime": start} if start is not None else {}) | ({"endTime": end} if end is not None else {})


@pytest.mark.parametrize("interval", INTERVALS)
def test_duckdb_paths_serve_whole_klines_selected_by_open_time(client, duck_session, references, interval):
    """The app (block store), the DuckDB query aggregated in NumPy and the SQL aggregation (DuckDB's bars
    with nulls fall back to it): each answers every window with the reference klines."""
    for symbol in ("BTCUSDT", "ETHUSDT"):
        ref = references[(symbol, interval)]
        for start, end, limit in WINDOWS:
            want = expected(ref, start, end, limit)
            where = f"{symbol} {interval} start={start} end={end} limit={limit}"
            r = client.get("/api/v3/klines", params=_params(symbol, interval, start, end, limit))
            assert r.status_code == 200, r.text
            assert_klines(r.json(), want, "app " + where)
            assert_klines(md.klines(duck_session, "duckdb", symbol, interval, start, end, limit), want, "sql " + where)
            sql = md.sql_klines_json(duck_session, "duckdb", symbol, interval, start, end, limit)
            assert_klines(json.loads(sql), want, "sql aggregation " + where)
            store = BlockStore(64 << 20)
            blocks = md.klines_json(duck_session, "duckdb", symbol, interval, start, end, limit, store)
            assert_klines(json.loads(blocks), want, "blocks " + where)


@pytest.mark.parametrize("interval", INTERVALS)
def test_postgres_serves_whole_klines_selected_by_open_time(pg_client, references, interval):
    client, _ = pg_client
    ref = references[("BTCUSDT", interval)]
    for start, end, limit in WINDOWS:
        r = client.get("/api/v3/klines", params=_params("BTCUSDT", interval, start, end, limit))
        assert r.status_code == 200, r.text
        assert_klines(r.json(), expected(ref, start, end, limit), f"pg {interval} start={start} end={end}")


def test_the_issue_example_and_calendar_klines(client, pg_client, trades):
    """1h from 10:00 with endTime 10:30 is the whole 10:00 hour; the week opens on Monday 2024-12-30 and the
    month on 2025-01-01, each with every trade of both days (literal times from the calendar)."""
    btc = trades["BTCUSDT"]
    t = btc["trade_time"]
    hour = btc[(t >= pd.Timestamp("2025-01-01 10:00")) & (t < pd.Timestamp("2025-01-01 11:00"))]
    calendar = [("1w", 1735516800000, 1736121599999), ("1M", 1735689600000, 1738367999999)]  # Mon 12-30; Jan 31
    for c in (client, pg_client[0]):
        k = c.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1h", "startTime": D0 + 10 * HOUR,
                                            "endTime": D0 + 10 * HOUR + 30 * MIN}).json()
        assert [(row[0], row[6], row[8]) for row in k] == [(D0 + 10 * HOUR, D0 + 11 * HOUR - 1, len(hour))]
        assert k[0][4] == rs.decimal_str(hour["price"].iloc[-1])
        assert float(k[0][5]) == pytest.approx(hour["qty"].sum(), abs=1.5e-8)
        for interval, opening, closing in calendar:
            got = c.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": interval,
                                                  "endTime": D0 + 60_000}).json()
            assert [(row[0], row[6], row[8]) for row in got] == [(opening, closing, len(btc))]
            assert float(got[0][5]) == pytest.approx(btc["qty"].sum(), abs=1.5e-8)
            assert got[0][4] == rs.decimal_str(btc["price"].iloc[-1])


def test_window_end_is_the_end_of_the_kline_holding_end_time():
    for interval in INTERVALS:
        for t in (D0 - 1, D0, D0 + 10 * HOUR + 30 * MIN + 17, D2 + 5 * 86_400_000 + 1):
            assert kline_agg.window_end(t, interval) == next_open(open_of(t, interval), interval), (interval, t)


TIME_ZONES = {"+08:00": 8 * HOUR, "05:45": 5 * HOUR + 45 * MIN, "-12:00": -12 * HOUR}
TZ_INTERVALS = ["15m", "1h", "4h", "12h", "1d", "3d", "1w", "1M"]


@pytest.mark.parametrize("time_zone", TIME_ZONES)
def test_time_zone_moves_the_boundaries_on_both_engines(client, pg_client, duck_session, trades, time_zone):
    tz = TIME_ZONES[time_zone]
    for interval in TZ_INTERVALS:
        for symbol, c in (("ETHUSDT", client), ("BTCUSDT", pg_client[0])):
            ref = reference_klines(trades[symbol], interval, tz)
            for start, end, limit in WINDOWS:
                want = expected(ref, start, end, limit)
                where = f"{symbol} {interval} tz={time_zone} start={start} end={end} limit={limit}"
                r = c.get("/api/v3/klines", params=_params(symbol, interval, start, end, limit, time_zone))
                assert r.status_code == 200, r.text
                assert_klines(r.json(), want, "app " + where)
                if symbol == "ETHUSDT":  # the DuckDB paths one by one
                    args = (duck_session, "duckdb", symbol, interval, start, end, limit)
                    assert_klines(md.klines(*args, tz_ms=tz), want, "sql " + where)
                    assert_klines(json.loads(md.sql_klines_json(*args, tz_ms=tz)), want, "sql aggregation " + where)
                    blocks = md.klines_json(*args, BlockStore(64 << 20), tz_ms=tz)
                    assert_klines(json.loads(blocks), want, "blocks " + where)


def test_time_zone_literals(client, pg_client):
    """UTC+8's day opens at 16:00 UTC the day before; its month at 2024-12-31T16:00Z; a bad zone is -1130."""
    for c in (client, pg_client[0]):
        day = c.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1d", "timeZone": "8",
                                              "endTime": D0 + HOUR}).json()
        assert [(k[0], k[6]) for k in day[-1:]] == [(D0 - 8 * HOUR, D0 + 16 * HOUR - 1)]
        month = c.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1M", "timeZone": "+08:00"}).json()
        assert [(k[0], k[6]) for k in month] == [(1735660800000, 1738339199999)]  # 2024-12-31T16Z..2025-01-31T16Z
        utc = c.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1w"}).json()
        for zero in ("0", "+00:00", "00:00", "-0:00"):
            assert c.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1w",
                                                   "timeZone": zero}).json() == utc
        for bad in ("15:00", "-12:01", "14:01", "5:60", "8:5", "abc", "+", "Europe/Paris"):
            r = c.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1h", "timeZone": bad})
            assert r.status_code == 400 and r.json()["code"] == -1130, bad
