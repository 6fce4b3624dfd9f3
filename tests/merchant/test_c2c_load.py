"""C2C orders from the simulator's signed endpoint into the warehouse (DuckDB and PostgreSQL), across
status changes: the latest status per order, and a history of what was observed when."""

from __future__ import annotations

import datetime as dt
import itertools

import pandera.errors
import pytest
from support.engines import ENGINES, empty_warehouse
from support.rest import FakeClock

from binance_assets.binance.c2c_sim import FINAL_STATUSES, SimMerchant
from binance_assets.binance.rest_client import BinanceRestClient
from binance_assets.binance.rest_errors import BinanceApiError
from binance_assets.binance.rest_signing import HmacSigner
from binance_assets.binance.rest_sim_market import SimMarket
from binance_assets.binance.rest_simulator import MerchantAccount, RestSimulator
from binance_assets.merchant.c2c_load import (
    HISTORY_TABLE,
    LOOKBACK_DAYS,
    MAX_WINDOW_MS,
    ORDERS_TABLE,
    day_window_ms,
    load_c2c_day,
    open_days,
    windows,
)
from binance_assets.merchant.schemas import validate_orders
from binance_assets.warehouse import DuckDBWarehouse

DAY = dt.date(2026, 6, 15)
FIRST_POLL = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC).timestamp()
KEY, SECRET = "merchant-key", "merchant-secret"
MERCHANT = SimMerchant(name="acme", orders_per_day=40)


@pytest.fixture(scope="module")
def clock():
    return FakeClock(FIRST_POLL)


@pytest.fixture(scope="module")
def sim(clock):
    market = SimMarket(("BTCUSDT",), DAY, DAY)
    accounts = {KEY: MerchantAccount(HmacSigner(SECRET), MERCHANT), "bad-fiat": MerchantAccount(
        HmacSigner(SECRET), SimMerchant(name="odd", fiats=("XYZ",), orders_per_day=5)
    )}  # fmt: skip
    with RestSimulator(market, accounts, clock=clock) as server:
        yield server


@pytest.fixture(params=ENGINES)
def warehouse(request, tmp_path):
    return empty_warehouse(request, tmp_path)


def client(sim, clock, key=KEY):
    return BinanceRestClient(sim.base_url, api_key=key, signer=HmacSigner(SECRET), clock=clock, sleep=clock.sleep)


def test_orders_across_status_changes(sim, clock, warehouse):
    clock.now = FIRST_POLL
    c = client(sim, clock)
    first = load_c2c_day(c, warehouse, "acme", DAY, validate=validate_orders)
    truth = MERCHANT.orders_of_day(DAY)
    created = [o for o in truth if o.create_ms <= FIRST_POLL * 1000]
    assert first.orders == first.new_orders == len(created) > 5
    assert first.open_orders > 0  # some were still waiting for payment or release at 10:00
    assert open_days(warehouse, "acme", DAY) == [DAY]

    clock.now = FIRST_POLL + 2 * 86_400  # two days later every order has settled (appeals take a day)
    second = load_c2c_day(c, warehouse, "acme", DAY, validate=validate_orders)
    now_ms = int(clock.now * 1000)
    assert second.orders == len(truth) and second.new_orders == len(truth) - len(created)
    assert second.open_orders == 0 and open_days(warehouse, "acme", DAY) == []

    orders = warehouse.read_table(ORDERS_TABLE, symbols=["acme"], start=DAY, end=DAY, order_by=["order_number"])
    expected = {o.order_number: o.status_at(now_ms) for o in truth}
    assert dict(zip(orders["order_number"], orders["order_status"], strict=True)) == expected
    assert set(orders["trade_type"]) == {"BUY", "SELL"} and orders["order_number"].is_unique
    assert set(orders["order_status"]) <= FINAL_STATUSES

    history = warehouse.read_table(HISTORY_TABLE, symbols=["acme"], start=DAY, end=DAY, order_by=["observed_at"])
    timelines = {o.order_number: [s for s, _ in o.timeline] for o in truth}
    for number, seen in history.groupby("order_number", sort=False)["order_status"]:
        statuses = list(seen)
        positions = [timelines[number].index(s) for s in statuses]
        assert positions == sorted(positions), (number, statuses)  # observed in the order they happened
    changed = {o.order_number for o in created if o.status_at(int(FIRST_POLL * 1000)) != o.status_at(now_ms)}
    assert changed and all((history["order_number"] == n).sum() == 2 for n in changed)
    assert second.status_changes == len(changed) + second.new_orders

    third = load_c2c_day(c, warehouse, "acme", DAY, validate=validate_orders)  # nothing changed since
    assert third.status_changes == 0 and third.new_orders == 0
    assert len(warehouse.read_table(HISTORY_TABLE, symbols=["acme"])) == len(history)


def test_bad_rows_are_refused_and_nothing_is_written(sim, clock, warehouse):
    clock.now = FIRST_POLL + 3 * 86_400
    with pytest.raises(pandera.errors.SchemaErrors, match="XYZ"):
        load_c2c_day(client(sim, clock, key="bad-fiat"), warehouse, "odd", DAY, validate=validate_orders)
    assert not warehouse.table_exists(ORDERS_TABLE) and not warehouse.table_exists(HISTORY_TABLE)


def test_windows_respect_30_days_and_six_months():
    now = int(dt.datetime(2026, 11, 30, tzinfo=dt.UTC).timestamp() * 1000)
    cut = windows(now - 400 * 86_400_000, now, now)
    assert cut[0][0] > now - LOOKBACK_DAYS * 86_400_000
    assert all(end - start < MAX_WINDOW_MS for start, end in cut)
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(cut)) and cut[-1][1] == now
    assert len(cut) == 6


def test_simulator_refuses_what_binance_refuses_and_loader_pages(sim, clock):
    clock.now = FIRST_POLL + 86_400
    c = client(sim, clock)
    now_ms = int(clock.now * 1000)
    with pytest.raises(BinanceApiError, match="30 days"):
        c.c2c_order_history("BUY", now_ms - 31 * 86_400_000, now_ms)
    with pytest.raises(BinanceApiError, match="6 months"):
        c.c2c_order_history("BUY", now_ms - 200 * 86_400_000, now_ms - 190 * 86_400_000)
    with pytest.raises(ValueError, match=r"rows must be 1\.\.100"):
        c.c2c_order_history("BUY", now_ms - 86_400_000, now_ms, rows=101)
    start, end = day_window_ms(DAY)
    rows, total = c.c2c_order_history("SELL", start, end, rows=7)
    page2, _ = c.c2c_order_history("SELL", start, end, rows=7, page=2)
    assert len(rows) == 7 and total > 7 and not {r["orderNumber"] for r in rows} & {r["orderNumber"] for r in page2}


def test_bare_list_shape_loads_the_same(sim, clock, tmp_path):
    clock.now = FIRST_POLL + 2 * 86_400
    results = {}
    for shape in ("wrapped", "bare"):
        sim.c2c_shape = shape
        wh = DuckDBWarehouse(tmp_path / f"{shape}.duckdb")
        load_c2c_day(client(sim, clock), wh, "acme", DAY)
        results[shape] = wh.read_table(ORDERS_TABLE, order_by=["order_number"]).drop(columns=["observed_at"])
    sim.c2c_shape = "wrapped"
    assert results["wrapped"].equals(results["bare"]) and len(results["bare"]) == len(MERCHANT.orders_of_day(DAY))
