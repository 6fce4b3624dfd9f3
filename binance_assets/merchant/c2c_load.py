"""C2C order history -> `raw_merchant.c2c_orders` (latest status) and `raw_merchant.c2c_order_status_history`.

No Dagster here. Binance's rules are honoured by `fetch_orders`: both trade types, windows of at most
30 days, only the last 6 months, pages of at most 100 rows. A day's partition (orders created that UTC
day, of one merchant account) is re-read while any of its orders can still change status; each read
keeps the latest status per order and appends every status not seen before to the history, with the
time it was first observed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
import pyarrow as pa

from binance_assets.binance.c2c_sim import FINAL_STATUSES
from binance_assets.binance.rest_client import BinanceRestClient
from binance_assets.warehouse import Warehouse

ORDERS_TABLE = "raw_merchant.c2c_orders"
HISTORY_TABLE = "raw_merchant.c2c_order_status_history"
MAX_WINDOW_MS = 30 * 86_400_000
LOOKBACK_DAYS = 180  # Binance refuses older history requests ("the last 6 months")
PAGE_ROWS = 100
TRADE_TYPES = ("BUY", "SELL")

_COLUMNS = {  # Binance field -> column
    "orderNumber": "order_number",
    "advNo": "adv_no",
    "tradeType": "trade_type",
    "asset": "asset",
    "fiat": "fiat",
    "fiatSymbol": "fiat_symbol",
    "amount": "amount",
    "totalPrice": "total_price",
    "unitPrice": "unit_price",
    "orderStatus": "order_status",
    "commission": "commission",
    "counterPartNickName": "counterparty_nickname",
    "advertisementRole": "advertisement_role",
    "payMethodName": "pay_method_name",
}
DECIMAL_COLUMNS = ("amount", "total_price", "unit_price", "commission")


def day_window_ms(day: dt.date) -> tuple[int, int]:
    start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)
    return start, start + 86_400_000 - 1


def windows(start_ms: int, end_ms: int, now_ms: int) -> list[tuple[int, int]]:
    """[start, end] clipped to the last 6 months and cut into windows of at most 30 days."""
    start_ms = max(start_ms, now_ms - LOOKBACK_DAYS * 86_400_000 + 60_000)
    end_ms = min(end_ms, now_ms)
    out = []
    while start_ms <= end_ms:
        stop = min(start_ms + MAX_WINDOW_MS - 1, end_ms)
        out.append((start_ms, stop))
        start_ms = stop + 1
    return out


def fetch_orders(client: BinanceRestClient, start_ms: int, end_ms: int) -> list[dict]:
    """Every order created in [start_ms, end_ms] (both trade types), deduplicated by orderNumber."""
    client.sync_clock()  # Binance's "now" decides the 6-month horizon (and signed timestamps must match it)
    now_ms = client.server_now_ms()
    by_number: dict[str, dict] = {}
    for trade_type in TRADE_TYPES:
        for window_start, window_end in windows(start_ms, end_ms, now_ms):
            page = 1
            while True:
                rows, total = client.c2c_order_history(trade_type, window_start, window_end, page=page, rows=PAGE_ROWS)
                for row in rows:
                    by_number[str(row["orderNumber"])] = row
                if len(rows) < PAGE_ROWS or (total is not None and page * PAGE_ROWS >= total):
                    break
                page += 1
    return list(by_number.values())


def orders_frame(rows: list[dict], account: str, day: dt.date, observed_at: dt.datetime) -> pd.DataFrame:
    """Binance rows -> the c2c_orders columns (decimals as float64 for SQL, text kept exact in *_text)."""
    records = []
    for row in rows:
        record = {
            column: (None if row.get(field) is None else str(row.get(field))) for field, column in _COLUMNS.items()
        }
        for column in DECIMAL_COLUMNS:
            record[f"{column}_text"] = record[column]
            record[column] = float(Decimal(record[column])) if record[column] not in (None, "") else None
        record["create_time"] = dt.datetime.fromtimestamp(int(row["createTime"]) / 1000, dt.UTC).replace(tzinfo=None)
        records.append(record)
    frame = pd.DataFrame.from_records(
        records, columns=[*_COLUMNS.values(), *(f"{c}_text" for c in DECIMAL_COLUMNS), "create_time"]
    )
    frame.insert(0, "symbol", account)  # the partition's "symbol" column holds the merchant account
    frame.insert(1, "trade_date", day)
    frame["observed_at"] = pd.Timestamp(observed_at.replace(tzinfo=None))
    return frame


@dataclass(frozen=True)
class C2CLoad:
    account: str
    day: dt.date
    orders: int
    new_orders: int
    status_changes: int
    open_orders: int  # not in a final status yet: the day will be re-read
    requests: int


def _existing(warehouse: Warehouse, table: str, account: str, day: dt.date) -> pd.DataFrame | None:
    if not warehouse.table_exists(table):
        return None
    return warehouse.read_table(table, symbols=[account], start=day, end=day, order_by=[])


def load_c2c_day(client: BinanceRestClient, warehouse: Warehouse, account: str, day: dt.date, validate=None) -> C2CLoad:
    """(Re)load the orders created on `day`; `validate(frame)` may raise to refuse the rows (nothing written)."""
    requests0 = client.stats.requests
    start_ms, end_ms = day_window_ms(day)
    rows = fetch_orders(client, start_ms, end_ms)
    observed_at = dt.datetime.fromtimestamp(client.server_now_ms() / 1000, dt.UTC)
    fresh = orders_frame([r for r in rows if start_ms <= int(r["createTime"]) <= end_ms], account, day, observed_at)
    previous = _existing(warehouse, ORDERS_TABLE, account, day)
    history = _existing(warehouse, HISTORY_TABLE, account, day)
    if previous is not None and len(previous):
        # orders no longer returned (should not happen) keep their last known row
        kept = previous[~previous["order_number"].isin(fresh["order_number"])]
        fresh = pd.concat([fresh, kept[fresh.columns]], ignore_index=True) if len(kept) else fresh
    if validate is not None:
        validate(fresh)
    seen = set() if history is None else set(zip(history["order_number"], history["order_status"], strict=True))
    changes = fresh[[(n, s) not in seen for n, s in zip(fresh["order_number"], fresh["order_status"], strict=True)]]
    new_history = changes[["symbol", "trade_date", "order_number", "order_status", "observed_at"]]
    if history is not None and len(history):
        new_history = pd.concat([history[new_history.columns], new_history], ignore_index=True)
    known = set() if previous is None else set(previous["order_number"])
    fresh = fresh.sort_values(["create_time", "order_number"]).reset_index(drop=True)
    # history first: a failure between the two writes leaves the orders to be re-read, never a lost change
    if len(new_history):
        warehouse.replace_table_partition(HISTORY_TABLE, account, day, _arrow(new_history))
    if len(fresh):
        warehouse.replace_table_partition(ORDERS_TABLE, account, day, _arrow(fresh))
    return C2CLoad(
        account=account,
        day=day,
        orders=len(fresh),
        new_orders=int((~fresh["order_number"].isin(known)).sum()),
        status_changes=len(changes),
        open_orders=int((~fresh["order_status"].isin(FINAL_STATUSES)).sum()),
        requests=client.stats.requests - requests0,
    )


def _arrow(frame: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [
        pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f for f in table.schema
    ]  # one time unit everywhere
    return table.cast(pa.schema(fields))


def open_days(warehouse: Warehouse, account: str, since: dt.date) -> list[dt.date]:
    """Days since `since` with orders not yet in a final status (they must be re-read)."""
    if not warehouse.table_exists(ORDERS_TABLE):
        return []
    finals = ", ".join(f"'{s}'" for s in sorted(FINAL_STATUSES))
    frame = warehouse.query(
        f"select distinct trade_date from {ORDERS_TABLE} where symbol = ? and trade_date >= ? "
        f"and order_status not in ({finals}) order by trade_date",
        [account, since],
    )
    return [pd.Timestamp(d).date() for d in frame["trade_date"]]
