"""The blocking checks on Arrow rows (the pandera model evaluated with pyarrow.compute) refuse the same bad rows
as pandera itself, and say which rule, on how many rows, with examples.

Every expectation comes from the rows written here: which row was damaged, how, and what Binance's rules say
of it; pandera's own `validate` on the same rows is the second opinion (the model is the one declaration).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from binance_assets.binance.schema import AGG_TRADES_SCHEMA, KLINES_SCHEMA, TRADES_SCHEMA
from binance_assets.ingestion.arrow_audit import audit_table
from binance_assets.ingestion.rules import PANDERA_SCHEMA, UNIQUE_IDS, blocking_checks, rejection_message
from binance_assets.ingestion.schemas import partition_schema, validate_partition
from binance_assets.warehouse import RAW_TABLES

DAY = dt.date(2025, 1, 1)
MIDNIGHT = dt.datetime(2025, 1, 1)
SYMBOL = "BTCUSDT"


def trade_rows(n: int = 6) -> dict[str, list]:
    price = [100.0 + i for i in range(n)]
    qty = [0.5 + i / 10 for i in range(n)]
    return {
        "trade_id": [10 + i for i in range(n)],
        "price": price,
        "qty": qty,
        "quote_qty": [p * q for p, q in zip(price, qty, strict=True)],
        "trade_time": [MIDNIGHT + dt.timedelta(hours=3 * i, microseconds=7) for i in range(n)],
        "is_buyer_maker": [i % 2 == 0 for i in range(n)],
        "is_best_match": [True] * n,
    }


def trades(rows: dict[str, list]) -> pa.Table:
    return pa.table(rows, schema=TRADES_SCHEMA)


def kline_rows() -> dict[str, list]:
    opens = [MIDNIGHT + dt.timedelta(minutes=i) for i in range(3)]
    return {
        "open_time": opens,
        "open": [10.0, 11.0, 12.0],
        "high": [11.0, 12.5, 12.0],
        "low": [9.5, 10.5, 12.0],
        "close": [11.0, 12.0, 12.0],
        "volume": [3.0, 4.0, 0.0],
        "close_time": [t + dt.timedelta(seconds=60) - dt.timedelta(microseconds=1) for t in opens],
        "quote_volume": [31.0, 46.0, 0.0],
        "trade_count": [3, 4, 0],
        "taker_buy_base_volume": [1.0, 4.0, 0.0],
        "taker_buy_quote_volume": [10.5, 46.0, 0.0],
    }


def pandera_failures(table_name: str, data: pa.Table, symbol: str = SYMBOL) -> set[tuple[str, int]]:
    """(check, row) pandera's own validate finds in the same rows (its frame: the partition columns first)."""
    frame = data.to_pandas()
    frame.insert(0, "symbol", symbol)
    frame.insert(1, "trade_date", pd.Timestamp(DAY))
    outcome = validate_partition(table_name, frame)
    if outcome.passed:
        return set()
    cases = outcome.failure_cases.dropna(subset=["index"])
    return {(str(c), int(i)) for c, i in zip(cases["check"], cases["index"], strict=True)}


def arrow_failures(table_name: str, data: pa.Table, symbol: str = SYMBOL) -> set[tuple[str, int]]:
    outcome = audit_table(partition_schema(table_name), data, {"symbol": symbol, "trade_date": pa.scalar(DAY)})
    return {(f.check, int(case["index"])) for f in outcome.failures for case in _all_cases(f, data.num_rows)}


def _all_cases(failure, rows: int) -> list[dict]:
    assert failure.rows <= rows
    return failure.cases


def schema_outcome(table_name: str, data: pa.Table, symbol: str = SYMBOL):
    [schema, unique] = blocking_checks(RAW_TABLES[table_name], data, symbol=symbol, day=DAY)
    assert schema.name == PANDERA_SCHEMA and unique.name == UNIQUE_IDS
    return schema, unique


def test_good_rows_pass_every_rule_of_every_raw_model():
    good = {
        "spot_trades": trades(trade_rows()),
        "spot_klines_1m": pa.table(kline_rows(), schema=KLINES_SCHEMA),
    }
    for name, data in good.items():
        schema, unique = schema_outcome(name, data)
        assert schema.passed and unique.passed, (name, schema.summary)
        assert pandera_failures(name, data) == set()


@pytest.mark.parametrize(
    ("column", "row", "value", "check"),
    [
        ("price", 2, -1.0, "greater_than(0)"),  # Binance never prints a negative price
        ("qty", 4, 0.0, "greater_than(0)"),  # nor a trade of nothing
        ("trade_id", 0, -3, "greater_than_or_equal_to(0)"),
    ],
)
def test_a_bad_value_is_refused_naming_the_rule_the_column_and_the_row(column, row, value, check):
    rows = trade_rows()
    rows[column][row] = value
    data = trades(rows)
    # A bad price or qty also breaks quote_qty = price * qty on that row (quote_qty was left as it was).
    also = {("quote_qty = price * qty (to 1e-6 relative)", row)} if column in ("price", "qty") else set()

    schema, _ = schema_outcome("spot_trades", data)

    assert not schema.passed and schema.blocking
    assert schema.summary.startswith(f"{1 + len(also)} schema failures: {check} on {column} (1 row)")
    case = schema.metadata["failure_cases"][0]
    assert (case["column"], case["check"], case["index"]) == (column, check, str(row))
    assert float(case["failure_case"]) == value
    assert schema.metadata["failures_by_check"][0] == {"column": column, "check": check, "failures": 1}
    expected = {(check, row)} | also
    assert arrow_failures("spot_trades", data) == pandera_failures("spot_trades", data) == expected


def test_a_trade_outside_the_partition_day_is_refused():
    rows = trade_rows()
    rows["trade_time"][1] = dt.datetime(2025, 1, 2)  # the next midnight belongs to the next day
    rows["trade_time"][3] = dt.datetime(2024, 12, 31, 23, 59, 59, 999_999)  # the last instant of the day before
    data = trades(rows)

    schema, _ = schema_outcome("spot_trades", data)

    assert "trade_time_inside_partition_day (2 rows)" in schema.summary
    moved = [c for c in schema.metadata["failure_cases"] if c["column"] == "trade_time"]
    assert [(c["index"], c["failure_case"]) for c in moved] == [
        ("1", "2025-01-02 00:00:00"),
        ("3", "2024-12-31 23:59:59.999999"),
    ]
    expected = {("trade_time_inside_partition_day", 1), ("trade_time_inside_partition_day", 3)}
    assert arrow_failures("spot_trades", data) == pandera_failures("spot_trades", data) == expected


def test_the_first_and_last_instants_of_the_day_are_inside_it():
    rows = trade_rows(2)
    rows["trade_time"] = [MIDNIGHT, dt.datetime(2025, 1, 1, 23, 59, 59, 999_999)]
    schema, _ = schema_outcome("spot_trades", trades(rows))
    assert schema.passed, schema.summary


def test_a_null_where_the_model_allows_none_is_refused_and_where_it_allows_one_passes():
    rows = trade_rows()
    rows["price"][3] = None
    rows["is_best_match"][0] = None  # nullable: futures archives have no isBestMatch
    data = trades(rows)

    schema, _ = schema_outcome("spot_trades", data)

    assert schema.summary == "1 schema failures: not_nullable on price (1 row)"
    assert arrow_failures("spot_trades", data) == {("not_nullable", 3)}
    assert ("not_nullable", 3) in pandera_failures("spot_trades", data)


def test_quote_qty_must_be_price_times_qty():
    rows = trade_rows()
    rows["quote_qty"][5] = rows["quote_qty"][5] * 1.01  # 1 % off; the model allows 1e-6
    rows["quote_qty"][0] = rows["quote_qty"][0] * (1 + 1e-9)  # float noise: allowed
    data = trades(rows)
    schema, _ = schema_outcome("spot_trades", data)
    assert schema.summary == "1 schema failures: quote_qty = price * qty (to 1e-6 relative) (1 row)"
    expected = {("quote_qty = price * qty (to 1e-6 relative)", 5)}
    assert arrow_failures("spot_trades", data) == pandera_failures("spot_trades", data) == expected


@pytest.mark.parametrize("symbol", ["btc-usdt", "B", "BTCUSDT_PERP"])
def test_a_symbol_that_is_not_a_spot_symbol_fails_every_row(symbol):
    data = trades(trade_rows(4))
    schema, _ = schema_outcome("spot_trades", data, symbol=symbol)
    check = "str_matches('^[A-Z0-9]{2,20}$')"
    assert schema.summary == f"4 schema failures: {check} on symbol (4 rows)"
    assert {c["failure_case"] for c in schema.metadata["failure_cases"]} == {symbol}
    assert arrow_failures("spot_trades", data, symbol) == pandera_failures("spot_trades", data, symbol)


def test_a_duplicate_trade_id_is_refused_with_the_id():
    rows = trade_rows()
    rows["trade_id"][4] = rows["trade_id"][1]  # ids 10, 11, 12, 13, 11, 15
    _, unique = schema_outcome("spot_trades", trades(rows))
    assert not unique.passed and unique.blocking
    assert unique.summary == "1 duplicated trade_id values: 11"
    assert unique.metadata["examples"] == [11]


def test_several_rules_broken_at_once_are_each_counted():
    rows = trade_rows()
    rows["price"][0] = -rows["price"][0]
    rows["quote_qty"][0] = rows["price"][0] * rows["qty"][0]  # consistent, yet negative: fails greater_than twice
    rows["trade_time"][2] = dt.datetime(2025, 1, 3)
    data = trades(rows)
    schema, _ = schema_outcome("spot_trades", data)
    assert schema.failure_count == 3
    assert schema.summary == (
        "3 schema failures: greater_than(0) on price (1 row); greater_than(0) on quote_qty (1 row); "
        "trade_time_inside_partition_day (1 row)"
    )
    message = rejection_message([schema])
    assert message.startswith("pandera_schema: 3 schema failures: ")
    assert arrow_failures("spot_trades", data) == pandera_failures("spot_trades", data)


def test_kline_rules_on_arrow_match_binances_definition_of_a_candle():
    rows = kline_rows()
    rows["high"][0] = 9.0  # below its open (10) and close (11)
    rows["taker_buy_base_volume"][1] = 5.0  # more taker volume (5) than volume (4)
    rows["close_time"][2] = rows["open_time"][2] + dt.timedelta(minutes=2)  # not the last µs of its minute
    data = pa.table(rows, schema=KLINES_SCHEMA)

    schema, _ = schema_outcome("spot_klines_1m", data, symbol="ETHUSDT")

    expected = {
        ("low <= open, close <= high", 0),
        ("taker buy volume <= volume", 1),
        ("close_time is the last instant of its 1m kline", 2),
    }
    assert arrow_failures("spot_klines_1m", data, "ETHUSDT") == expected
    assert pandera_failures("spot_klines_1m", data, "ETHUSDT") == expected
    assert schema.failure_count == 3


def test_agg_trades_first_id_after_last_id_is_refused():
    n = 3
    rows = {
        "agg_trade_id": [1, 2, 3],
        "price": [1.0] * n,
        "qty": [1.0] * n,
        "first_trade_id": [10, 12, 20],
        "last_trade_id": [11, 19, 18],  # row 2: 20 .. 18
        "trade_time": [MIDNIGHT + dt.timedelta(seconds=i) for i in range(n)],
        "is_buyer_maker": [True] * n,
        "is_best_match": [True] * n,
    }
    data = pa.table(rows, schema=AGG_TRADES_SCHEMA)
    expected = {("first_trade_id <= last_trade_id", 2)}
    assert arrow_failures("spot_agg_trades", data) == pandera_failures("spot_agg_trades", data) == expected


def test_a_column_too_many_or_missing_is_refused():
    data = trades(trade_rows(2))
    extra = data.append_column("unexpected", pa.array([1, 2]))
    assert ("column_in_schema", "unexpected") in {
        (f.check, f.cases[0]["failure_case"]) for f in audit_table(partition_schema("spot_trades"), extra,
                                                                    {"symbol": SYMBOL, "trade_date": DAY}).failures
    }  # fmt: skip
    missing = data.drop_columns(["qty"])
    outcome = audit_table(partition_schema("spot_trades"), missing, {"symbol": SYMBOL, "trade_date": DAY})
    assert [(f.check, f.cases[0]["failure_case"]) for f in outcome.failures] == [("column_in_dataframe", "qty")]


def test_an_empty_partition_is_refused():
    schema, _ = schema_outcome("spot_trades", trades(trade_rows(0)))
    assert not schema.passed and schema.summary == "the partition has no rows"


def test_rows_are_audited_in_slices_and_their_failures_added_up(monkeypatch):
    import binance_assets.ingestion.arrow_audit as arrow_audit

    monkeypatch.setattr(arrow_audit, "SLICE_ROWS", 2)  # 6 rows: slices [0, 1], [2, 3], [4, 5]
    rows = trade_rows()
    for row in (1, 2, 5):  # in every slice
        rows["qty"][row] = -rows["qty"][row]
        rows["quote_qty"][row] = abs(rows["quote_qty"][row])
    data = trades(rows)
    schema, _ = schema_outcome("spot_trades", data)
    assert schema.summary.startswith("6 schema failures: greater_than(0) on qty (3 rows); ")
    qty_cases = [c for c in schema.metadata["failure_cases"] if c["check"] == "greater_than(0)"]
    assert [c["index"] for c in qty_cases] == ["1", "2", "5"]
    assert arrow_failures("spot_trades", data) == pandera_failures("spot_trades", data)
