"""Derived tables (features, predictions): `replace_table_partition`, `read_table`, `table_exists`,
on DuckDB and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from warehouse.helpers import DAY, FEATURES_SCHEMA, features, klines, load

from binance_assets.warehouse import PartitionDataError, PartitionWriteError, TableNotFoundError

FEATURES = "features.minute_features"
PREDICTIONS = "ml.predictions"
DAY2 = DAY + dt.timedelta(days=1)
DAY3 = DAY + dt.timedelta(days=2)

SQL_TYPES = {
    "duckdb": {
        pa.string(): "VARCHAR",
        pa.date32(): "DATE",
        pa.int64(): "BIGINT",
        pa.float64(): "DOUBLE",
        pa.timestamp("us"): "TIMESTAMP",
        pa.bool_(): "BOOLEAN",
    },
    "postgres": {
        pa.string(): "character varying",
        pa.date32(): "date",
        pa.int64(): "bigint",
        pa.float64(): "double precision",
        pa.timestamp("us"): "timestamp without time zone",
        pa.bool_(): "boolean",
    },
}


def predictions(n: int = 3, *, symbol: str = "BTCUSDT", day: dt.date = DAY) -> pa.Table:
    base = dt.datetime(day.year, day.month, day.day)
    return pa.table(
        {
            "symbol": [symbol] * n,
            "trade_date": [day] * n,
            "minute": [base + dt.timedelta(minutes=i) for i in range(n)],
            "p_up": [0.25 + i / 100 for i in range(n)],
            "model": ["gbm-v1"] * n,
        }
    )


def partition(warehouse, symbol: str, day: dt.date, table: str = FEATURES) -> list[dict]:
    return warehouse.read_table_arrow(table, symbols=[symbol], start=day, end=day).to_pylist()


def layout(warehouse, table: str) -> list[tuple[str, str, str]]:
    schema, name = table.split(".")
    frame = warehouse.query(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, name],
    )
    return list(frame.itertuples(index=False, name=None))


def _set(data: pa.Table, name: str, values: pa.Array | list) -> pa.Table:
    return data.set_column(data.column_names.index(name), name, values)


# --- creation and round trip -----------------------------------------------------------------------


def test_first_write_creates_the_schema_and_table_from_the_arrow_schema(warehouse):
    assert not warehouse.table_exists(FEATURES)
    data = features(5)
    shuffled = data.select(["minute", "close", "symbol", "trades", "trade_date", "is_up", "regime", "as_of"])
    assert warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, shuffled) == 5
    assert warehouse.table_exists(FEATURES)
    assert not warehouse.table_exists("features.other")
    types = SQL_TYPES[warehouse.engine]
    # Partition columns first (NOT NULL), then the others in the order given (nullable).
    assert layout(warehouse, FEATURES) == [
        (name, types[FEATURES_SCHEMA.field(name).type], "NO" if name in ("symbol", "trade_date") else "YES")
        for name in ["symbol", "trade_date", "minute", "close", "trades", "is_up", "regime", "as_of"]
    ]
    if warehouse.engine == "postgres":
        indexes = warehouse.query(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = ? AND tablename = ?", ["features", "minute_features"]
        )
        assert [d.split(" USING ")[1] for d in indexes["indexdef"]] == ["btree (symbol, trade_date)"]


def test_round_trip_keeps_types_microseconds_nulls_and_exact_floats(warehouse):
    data = features(8)
    floats = [0.1, 0.30000000000000004, 5e-324, 1.7976931348623157e308, -0.0, None, float("nan"), float("-inf")]
    data = _set(data, "close", pa.array(floats, pa.float64()))
    data = _set(data, "minute", pa.array([dt.datetime(1999, 12, 31, 23, 59, 59, 999_999 - i) for i in range(8)]))
    warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, data)

    back = warehouse.read_table_arrow(FEATURES, order_by=["minute"])
    expected = data.sort_by("minute")
    assert back.schema == FEATURES_SCHEMA
    # µs timestamps (before PostgreSQL's 2000-01-01 epoch too), NULL vs "" vs unicode, dates, bools.
    assert back.drop_columns(["close"]).to_pylist() == expected.drop_columns(["close"]).to_pylist()
    # Floats bit for bit (-0.0, subnormals, NaN, -inf) and their NULL.
    assert back["close"].is_null().to_pylist() == expected["close"].is_null().to_pylist()
    assert (
        pc.fill_null(back["close"], 1.0).to_numpy().tobytes()
        == pc.fill_null(expected["close"], 1.0).to_numpy().tobytes()
    )

    frame = warehouse.read_table(FEATURES, order_by=["minute"])
    pd.testing.assert_frame_equal(frame, expected.to_pandas())
    assert str(frame["minute"].dtype) == "datetime64[us]"
    assert frame["trade_date"].iloc[0] == DAY


def test_later_writes_are_cast_safely_to_the_table_types(warehouse):
    warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, features(4))
    data = features(6, day=DAY2)
    loose = _set(data, "trades", pc.cast(data["trades"], pa.int32()))
    loose = _set(loose, "minute", pc.cast(data["minute"], pa.timestamp("ns", tz="UTC")))
    loose = _set(loose, "regime", pc.cast(data["regime"], pa.large_string()))
    loose = _set(loose, "symbol", pc.dictionary_encode(data["symbol"]))
    loose = loose.select(list(reversed(loose.column_names)))  # by name, not position
    assert warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY2, loose) == 6
    assert partition(warehouse, "BTCUSDT", DAY2) == data.to_pylist()

    # A pandas frame (NaN for missing ints, object dates, str columns) fits the same table.
    frame = features(5, symbol="ETHUSDT").to_pandas()
    assert str(frame["trades"].dtype) == "float64"
    assert warehouse.replace_table_partition(FEATURES, "ETHUSDT", DAY, frame) == 5
    assert partition(warehouse, "ETHUSDT", DAY) == features(5, symbol="ETHUSDT").to_pylist()


@pytest.mark.parametrize(
    ("make_bad", "message"),
    [
        (lambda d: _set(d, "close", pa.array(["abc"] * d.num_rows)), "'close' has type string"),
        (lambda d: _set(d, "trades", pa.array([1.5] * d.num_rows)), "'trades' has type double"),
        (
            lambda d: _set(d, "minute", pc.add(pc.cast(d["minute"], pa.int64()), 1).cast(pa.timestamp("ns"))),
            "'minute' has type timestamp",
        ),
        (
            lambda d: _set(
                d, "as_of", pc.add(pc.cast(d["as_of"], pa.timestamp("us")), pa.scalar(dt.timedelta(hours=1)))
            ),
            "'as_of' has type timestamp.* with times of day",
        ),
    ],
    ids=["not_a_number", "lossy_float_to_int", "nanoseconds", "date_with_time"],
)
def test_uncastable_columns_are_rejected_before_writing(warehouse, make_bad, message):
    warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, features(4))
    before = partition(warehouse, "BTCUSDT", DAY)
    with pytest.raises(PartitionDataError, match=message):
        warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, make_bad(features(3)))
    assert partition(warehouse, "BTCUSDT", DAY) == before


@pytest.mark.parametrize(
    "column", [pa.array([[1], [2]], pa.list_(pa.int64())), pa.nulls(2), pa.array([b"x", b"y"])], ids=str
)
def test_first_write_rejects_types_without_a_sql_type(warehouse, column):
    data = features(2).append_column("odd", column)
    with pytest.raises(PartitionDataError, match=r"unsupported column types \['odd: "):
        warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, data)
    assert not warehouse.table_exists(FEATURES)


def test_odd_names_are_quoted(warehouse):
    data = pa.table({"symbol": ["X"], "trade_date": [DAY], "select": [1], "Mixed Case %s": [2.5], 'quo"te': ["q"]})
    assert warehouse.replace_table_partition("ml.order", "X", DAY, data) == 1
    assert warehouse.read_table_arrow("ml.order").to_pylist() == data.to_pylist()


# --- replace semantics ----------------------------------------------------------------------------


def test_replace_leaves_other_partitions_and_tables_untouched(warehouse):
    others = {
        ("BTCUSDT", DAY2): features(3, day=DAY2, close0=2.0),
        ("ETHUSDT", DAY): features(4, symbol="ETHUSDT", close0=3.0),
    }
    warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, features(6))
    for (symbol, day), data in others.items():
        warehouse.replace_table_partition(FEATURES, symbol, day, data)
    warehouse.replace_table_partition(PREDICTIONS, "BTCUSDT", DAY, predictions(4))
    warehouse.replace_partition("spot_klines_1m", "BTCUSDT", DAY, klines(3), load())

    replacement = features(2, close0=7.0)
    assert warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, replacement) == 2
    assert partition(warehouse, "BTCUSDT", DAY) == replacement.to_pylist()
    for (symbol, day), data in others.items():
        assert partition(warehouse, symbol, day) == data.to_pylist()
    assert warehouse.read_table_arrow(PREDICTIONS).to_pylist() == predictions(4).to_pylist()
    assert warehouse.partition_row_count("spot_klines_1m", "BTCUSDT", DAY) == 3


def test_same_partition_twice_leaves_one_copy(warehouse):
    data = predictions(5)
    assert warehouse.replace_table_partition(PREDICTIONS, "BTCUSDT", DAY, data) == 5
    assert warehouse.replace_table_partition(PREDICTIONS, "BTCUSDT", "2025-01-01", data) == 5
    assert warehouse.read_table_arrow(PREDICTIONS).to_pylist() == data.to_pylist()


def test_empty_data_clears_the_partition(warehouse):
    warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, features(5))
    warehouse.replace_table_partition(FEATURES, "ETHUSDT", DAY, features(3, symbol="ETHUSDT"))
    assert warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, features(0)) == 0
    assert partition(warehouse, "BTCUSDT", DAY) == []
    assert partition(warehouse, "ETHUSDT", DAY) == features(3, symbol="ETHUSDT").to_pylist()
    # Empty data of a new table creates it, empty.
    assert warehouse.replace_table_partition("features.later", "BTCUSDT", DAY, features(0)) == 0
    empty = warehouse.read_table_arrow("features.later")
    assert empty.num_rows == 0 and empty.schema == FEATURES_SCHEMA


# --- rejected data leaves everything as it was -----------------------------------------------------


def _symbols(d: pa.Table, last: str | None) -> pa.Table:
    return _set(d, "symbol", pa.array(["BTCUSDT"] * (d.num_rows - 1) + [last], pa.string()))


WRONG_PARTITION = {
    "other_symbol": (
        lambda d: _symbols(d, "ETHUSDT"),
        r"1 of 4 rows have symbol other than 'BTCUSDT' \(e.g. \['ETHUSDT'\]\)",
    ),
    "null_symbol": (lambda d: _symbols(d, None), "1 of 4 rows have symbol other than 'BTCUSDT'"),
    "other_day": (
        lambda d: _set(d, "trade_date", pa.array([DAY, DAY2, DAY2, DAY])),
        r"2 of 4 rows have trade_date other than datetime.date\(2025, 1, 1\)",
    ),
    "day_with_time": (
        lambda d: _set(d, "trade_date", pa.array([dt.datetime(2025, 1, 1, 12)] * d.num_rows)),
        "'trade_date' has type timestamp.* with times of day",
    ),
    "no_trade_date": (lambda d: d.drop_columns(["trade_date"]), r"lacks the partition column\(s\) \['trade_date'\]"),
    "only_partition_columns": (lambda d: d.select(["symbol", "trade_date"]), "no columns besides"),
    "not_arrow": (lambda d: d.to_pylist(), "must be a pyarrow Table"),
}


@pytest.mark.parametrize("bad", list(WRONG_PARTITION))
def test_rows_of_another_partition_are_rejected_before_writing(warehouse, bad):
    make_bad, message = WRONG_PARTITION[bad]
    bad_data = make_bad(features(4))
    # On first write: no table is created.
    with pytest.raises(PartitionDataError, match=message):
        warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, bad_data)
    assert not warehouse.table_exists(FEATURES)
    # Later: the previous copy stays.
    warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, features(6))
    before = partition(warehouse, "BTCUSDT", DAY)
    with pytest.raises(PartitionDataError, match=message):
        warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, bad_data)
    assert partition(warehouse, "BTCUSDT", DAY) == before


@pytest.mark.parametrize(
    "trade_date", [pa.array(["2025-01-01"] * 3), pa.array([dt.datetime(2025, 1, 1)] * 3)], ids=["iso", "midnight"]
)
def test_trade_date_only_needs_the_right_day_not_the_exact_type(warehouse, trade_date):
    data = _set(features(3), "trade_date", trade_date)
    assert warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, data) == 3
    assert partition(warehouse, "BTCUSDT", DAY) == features(3).to_pylist()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.append_column("vwap", pa.array([1.0] * d.num_rows)), r"missing \[\], new \['vwap'\]"),
        (lambda d: d.drop_columns(["regime"]), r"missing \['regime'\], new \[\]"),
        (
            lambda d: d.rename_columns(["state" if c == "regime" else c for c in d.column_names]),
            r"missing \['regime'\], new \['state'\]",
        ),
    ],
    ids=["new", "missing", "renamed"],
)
def test_a_changed_layout_is_rejected_and_the_table_is_not_altered(warehouse, change, message):
    warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, features(4))
    columns, before = layout(warehouse, FEATURES), partition(warehouse, "BTCUSDT", DAY)
    with pytest.raises(PartitionDataError, match=message):
        warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, change(features(3)))
    with pytest.raises(PartitionDataError, match=message):  # a new partition: same answer
        warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY2, change(features(3, day=DAY2)))
    assert layout(warehouse, FEATURES) == columns
    assert partition(warehouse, "BTCUSDT", DAY) == before
    assert partition(warehouse, "BTCUSDT", DAY2) == []


def test_a_days_symbols_are_replaced_together(warehouse):
    """`replace_table_partitions`: each named symbol's partition of the day replaced whole (an empty one
    cleared), in one call; other symbols and days untouched."""
    untouched = {("BTCUSDT", DAY2): features(3, day=DAY2), ("XRPUSDT", DAY): features(2, symbol="XRPUSDT")}
    for (symbol, day), data in {("BTCUSDT", DAY): features(6), ("ETHUSDT", DAY): features(4, symbol="ETHUSDT"),
                                **untouched}.items():
        warehouse.replace_table_partition(FEATURES, symbol, day, data)
    new = {"BTCUSDT": features(2, close0=7.0), "ETHUSDT": features(0, symbol="ETHUSDT"),
           "SOLUSDT": features(5, symbol="SOLUSDT", close0=1.0)}
    assert warehouse.replace_table_partitions(FEATURES, DAY, list(new.items())) == 7
    for symbol, data in new.items():
        assert partition(warehouse, symbol, DAY) == data.to_pylist(), symbol
    for (symbol, day), data in untouched.items():
        assert partition(warehouse, symbol, day) == data.to_pylist(), symbol
    assert warehouse.replace_table_partitions(FEATURES, DAY, []) == 0


def test_one_bad_symbol_of_a_day_leaves_every_symbol_as_it_was(warehouse):
    warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, features(6))
    warehouse.replace_table_partition(FEATURES, "ETHUSDT", DAY, features(4, symbol="ETHUSDT"))
    before = warehouse.read_table_arrow(FEATURES).to_pylist()
    with pytest.raises(PartitionDataError, match=r"other than 'ETHUSDT'"):  # refused before anything is written
        warehouse.replace_table_partitions(FEATURES, DAY, [("BTCUSDT", features(1)), ("ETHUSDT", features(2))])
    with pytest.raises(PartitionDataError, match="a symbol appears twice"):
        warehouse.replace_table_partitions(FEATURES, DAY, [("BTCUSDT", features(1)), ("BTCUSDT", features(2))])
    assert warehouse.read_table_arrow(FEATURES).to_pylist() == before
    # A failure in the database on the second symbol's rows, after the first one's: both roll back.
    warehouse.query("CREATE SCHEMA IF NOT EXISTS ml")
    warehouse.query("CREATE TABLE ml.scores (symbol VARCHAR NOT NULL, trade_date DATE NOT NULL, "
                    "minute TIMESTAMP, score DOUBLE PRECISION NOT NULL)")
    good = {s: predictions(3, symbol=s).drop_columns(["model"]).rename_columns(["symbol", "trade_date", "minute",
                                                                                "score"])
            for s in ("BTCUSDT", "ETHUSDT")}
    assert warehouse.replace_table_partitions("ml.scores", DAY, list(good.items())) == 6
    bad = [("BTCUSDT", good["BTCUSDT"].slice(0, 1)),
           ("ETHUSDT", _set(good["ETHUSDT"], "score", pa.array([1.0, None, 2.0])))]
    with pytest.raises(PartitionWriteError, match="rolled back"):
        warehouse.replace_table_partitions("ml.scores", DAY, bad)
    assert warehouse.read_table_arrow("ml.scores").to_pylist() == [*good["BTCUSDT"].to_pylist(),
                                                                    *good["ETHUSDT"].to_pylist()]


# --- failures inside the transaction ---------------------------------------------------------------


def test_failure_after_delete_and_insert_rolls_back_to_the_previous_copy(warehouse, monkeypatch):
    warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, features(6))
    before = partition(warehouse, "BTCUSDT", DAY)
    insert = type(warehouse)._insert_rows

    def insert_then_fail(self, *args):
        insert(self, *args)
        raise RuntimeError("injected failure after the insert")

    monkeypatch.setattr(type(warehouse), "_insert_rows", insert_then_fail)
    with pytest.raises(PartitionWriteError, match=r"rolled back.*injected failure") as info:
        warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, features(2, close0=9.0))
    assert isinstance(info.value.__cause__, RuntimeError)
    # A first write that fails leaves no table (nor schema) behind.
    with pytest.raises(PartitionWriteError, match="injected failure"):
        warehouse.replace_table_partition("scratch.first", "BTCUSDT", DAY, features(2))
    monkeypatch.undo()

    assert partition(warehouse, "BTCUSDT", DAY) == before
    assert not warehouse.table_exists("scratch.first")
    assert warehouse.query("SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = 'scratch'")[
        "n"
    ].tolist() == [0]


def test_database_error_after_the_delete_keeps_the_previous_copy(warehouse):
    """A table made elsewhere with a NOT NULL column: the NULL fails in the database, after the
    DELETE ran, and the rollback must undo it."""
    warehouse.query("CREATE SCHEMA IF NOT EXISTS ml")
    warehouse.query(
        "CREATE TABLE ml.scores (symbol VARCHAR NOT NULL, trade_date DATE NOT NULL, "
        "minute TIMESTAMP, score DOUBLE PRECISION NOT NULL)"
    )
    good = predictions(3).drop_columns(["model"]).rename_columns(["symbol", "trade_date", "minute", "score"])
    assert warehouse.replace_table_partition("ml.scores", "BTCUSDT", DAY, good) == 3
    bad = _set(good, "score", pa.array([1.0, None, 2.0]))
    with pytest.raises(PartitionWriteError, match="rolled back") as info:
        warehouse.replace_table_partition("ml.scores", "BTCUSDT", DAY, bad)
    assert info.value.__cause__ is not None
    assert warehouse.read_table_arrow("ml.scores").to_pylist() == good.to_pylist()


# --- read_table ------------------------------------------------------------------------------------


def test_read_table_filters_and_orders(warehouse):
    for symbol in ("SOLUSDT", "BTCUSDT", "ETHUSDT"):
        for day in (DAY3, DAY, DAY2):
            data = features(3, symbol=symbol, day=day)
            warehouse.replace_table_partition(FEATURES, symbol, day, data.take([2, 0, 1]))

    def keys(table: pa.Table) -> set[tuple[str, dt.date]]:
        return {(r["symbol"], r["trade_date"]) for r in table.to_pylist()}

    everything = warehouse.read_table_arrow(FEATURES)
    rows = everything.to_pylist()
    assert len(rows) == 27
    assert rows == sorted(rows, key=lambda r: (r["symbol"], r["trade_date"], r["minute"]))  # default: by minute

    assert warehouse.read_table_arrow(FEATURES, symbols=["ETHUSDT"], start=DAY2, end=DAY2).to_pylist() == (
        features(3, symbol="ETHUSDT", day=DAY2).to_pylist()
    )
    assert keys(warehouse.read_table_arrow(FEATURES, symbols=["BTCUSDT", "SOLUSDT"], start=DAY2)) == {
        (s, d) for s in ("BTCUSDT", "SOLUSDT") for d in (DAY2, DAY3)
    }
    assert keys(warehouse.read_table_arrow(FEATURES, end="2025-01-01")) == {
        (s, DAY) for s in ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    }
    assert keys(warehouse.read_table_arrow(FEATURES, symbols="SOLUSDT", start=DAY3)) == {("SOLUSDT", DAY3)}
    assert warehouse.read_table_arrow(FEATURES, start=DAY3, end=DAY).num_rows == 0
    assert warehouse.read_table_arrow(FEATURES, symbols=["NOPE"]).num_rows == 0
    empty = warehouse.read_table(FEATURES, symbols=[])
    assert empty.empty and list(empty.columns) == FEATURES_SCHEMA.names

    # order_by replaces the default after (symbol, trade_date); NULLs last on both engines.
    by_close = warehouse.read_table_arrow(FEATURES, symbols=["BTCUSDT"], start=DAY, end=DAY, order_by=["close"])
    assert by_close["close"].to_pylist() == [100.0, 100.0 + 2 / 3, None]

    frame = warehouse.read_table(FEATURES, symbols=["BTCUSDT"], end=DAY)
    pd.testing.assert_frame_equal(frame, features(3).to_pandas())


def test_read_table_errors(warehouse):
    warehouse.replace_table_partition(FEATURES, "BTCUSDT", DAY, features(2))
    with pytest.raises(TableNotFoundError, match=r"features\.nope does not exist"):
        warehouse.read_table("features.nope")
    with pytest.raises(KeyError):  # TableNotFoundError is a KeyError
        warehouse.read_table_arrow("nope.nope")
    with pytest.raises(ValueError, match=r"has no column\(s\) \['nope'\]"):
        warehouse.read_table(FEATURES, order_by=["nope"])
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        warehouse.read_table(FEATURES, start="01/01/2025")
    with pytest.raises(ValueError, match="symbol"):
        warehouse.read_table(FEATURES, symbols=[" BTCUSDT"])


def test_read_table_reads_raw_tables_too(warehouse):
    data = klines(4)
    warehouse.replace_partition("spot_klines_1m", "BTCUSDT", DAY, data.take([3, 1, 0, 2]), load())
    back = warehouse.read_table_arrow("raw.spot_klines_1m", symbols=["BTCUSDT"])  # ordered by open_time
    assert back.drop_columns(["symbol", "trade_date"]).to_pylist() == data.to_pylist()


# --- names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["minute_features", "Features.minute", "features.minute-features", "a.b.c", "features.", "1x.y", 'f."x"', " f.x"],
)
def test_table_names_are_validated(warehouse, name):
    with pytest.raises(ValueError, match="qualified name"):
        warehouse.replace_table_partition(name, "BTCUSDT", DAY, features(1))
    with pytest.raises(ValueError, match="qualified name"):
        warehouse.read_table(name)
    with pytest.raises(ValueError, match="qualified name"):
        warehouse.table_exists(name)


def test_raw_schema_is_not_for_derived_tables(warehouse):
    with pytest.raises(ValueError, match="replace_partition"):
        warehouse.replace_table_partition("raw.my_features", "BTCUSDT", DAY, features(1))
    with pytest.raises(ValueError, match="symbol"):
        warehouse.replace_table_partition(FEATURES, "", DAY, features(1))
    with pytest.raises(TypeError, match="not a datetime"):
        warehouse.replace_table_partition(FEATURES, "BTCUSDT", dt.datetime(2025, 1, 1), features(1))
