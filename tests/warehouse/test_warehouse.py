"""Behaviour every warehouse engine must share (each test runs on DuckDB and on PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from warehouse.helpers import DAY, agg_trades, klines, load, sample, trades

from binance_assets.binance.schema import SCHEMAS, ArchiveKind
from binance_assets.warehouse import (
    RAW_TABLES,
    DuckDBWarehouse,
    LoadRecord,
    PartitionDataError,
    PartitionWriteError,
    PostgresWarehouse,
    make_warehouse,
    raw_table_for,
)
from binance_assets.warehouse.table_names import SYMBOL_UNIVERSE_TABLE

TABLES = list(RAW_TABLES)
DAY2 = DAY + dt.timedelta(days=1)


def snapshot(warehouse, table: str, symbol: str, day: dt.date) -> tuple[pa.Table, dict | None]:
    return warehouse.read_partition_arrow(table, symbol, day), warehouse.load_log(table, symbol, day)


def load_log_rows(warehouse) -> int:
    return int(warehouse.query("SELECT count(*) AS n FROM raw.load_log")["n"][0])


# --- schema ----------------------------------------------------------------------------------------

SQL_TYPES = {
    "duckdb": {
        "VARCHAR": "VARCHAR",
        "DATE": "DATE",
        "BIGINT": "BIGINT",
        "DOUBLE": "DOUBLE",
        "TIMESTAMP": "TIMESTAMP",
        "BOOLEAN": "BOOLEAN",
    },
    "postgres": {
        "VARCHAR": "character varying",
        "DATE": "date",
        "BIGINT": "bigint",
        "DOUBLE": "double precision",
        "TIMESTAMP": "timestamp without time zone",
        "BOOLEAN": "boolean",
    },
}
ARROW_SQL = {
    pa.string(): "VARCHAR",
    pa.date32(): "DATE",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.timestamp("us"): "TIMESTAMP",
    pa.bool_(): "BOOLEAN",
}


def test_ensure_schema_is_idempotent_and_tables_have_the_canonical_layout(warehouse):
    warehouse.ensure_schema()
    warehouse.ensure_schema()
    columns = warehouse.query(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = ? ORDER BY table_name, ordinal_position",
        ["raw"],
    )
    universe = SYMBOL_UNIVERSE_TABLE.split(".", 1)[1]  # its layout: tests/warehouse/test_symbol_universe.py
    assert set(columns["table_name"]) == {*RAW_TABLES, "load_log", "publish_log", universe}
    types = SQL_TYPES[warehouse.engine]
    for name, table in RAW_TABLES.items():
        rows = columns[columns["table_name"] == name]
        assert list(rows["column_name"]) == ["symbol", "trade_date", *SCHEMAS[table.kind].names]
        assert list(rows["data_type"]) == [types[ARROW_SQL[f.type]] for f in table.arrow_schema]
        nullable = dict(zip(rows["column_name"], rows["is_nullable"], strict=True))
        assert nullable["symbol"] == nullable["trade_date"] == "NO"
        assert {c for c, v in nullable.items() if v == "YES"} <= {"is_best_match"}
    log = columns[columns["table_name"] == "load_log"]
    assert list(log["column_name"]) == [
        "table_name",
        "symbol",
        "trade_date",
        "version",
        "rows",
        "first_id",
        "last_id",
        "first_time",
        "last_time",
        "source_url",
        "sha256",
        "loaded_at",
        "superseded_at",
    ]


# --- round trip ------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_round_trip_returns_identical_values(warehouse, table):
    data = sample(table)
    assert warehouse.replace_partition(table, "BTCUSDT", DAY, data, load()) == data.num_rows
    back = warehouse.read_partition_arrow(table, "BTCUSDT", DAY)
    assert back.schema.names == data.schema.names
    assert back.schema.types == data.schema.types
    assert back.to_pylist() == data.to_pylist()  # µs timestamps, floats bit for bit, NULLs
    frame = warehouse.read_partition(table, "BTCUSDT", DAY)
    pd.testing.assert_frame_equal(frame, data.to_pandas())
    assert warehouse.partition_row_count(table, "BTCUSDT", DAY) == data.num_rows


def test_round_trip_keeps_microseconds_nulls_and_exact_floats(warehouse):
    values = [0.1, 0.30000000000000004, 1e-8, 123456789.12345679, 5e-324, 1.7976931348623157e308, -0.0]
    n = len(values)
    times = [
        dt.datetime(2025, 1, 1, 0, 0, 0, 1),
        dt.datetime(2025, 1, 1, 23, 59, 59, 999_999),
        dt.datetime(1999, 12, 31, 23, 59, 59, 999_999),  # before PostgreSQL's 2000-01-01 epoch
        dt.datetime(1970, 1, 1),
        dt.datetime(2017, 8, 17, 4, 0, 0, 123_000),  # a millisecond archive's value
        dt.datetime(2025, 1, 1, 12, 0, 0, 500_001),
        dt.datetime(2100, 1, 1, 0, 0, 0, 7),
    ]
    data = pa.table(
        {
            "trade_id": [2**62, -1, 0, 1, 2, 3, 4][:n],
            "price": values,
            "qty": list(reversed(values)),
            "quote_qty": values,
            "trade_time": times,
            "is_buyer_maker": [True, False] * 3 + [True],
            "is_best_match": [None, True, False, None, None, True, None],
        },
        schema=SCHEMAS[ArchiveKind.TRADES],
    )
    warehouse.replace_partition("spot_trades", "X", DAY, data, load())
    back = warehouse.read_partition_arrow("spot_trades", "X", DAY)
    expected = data.sort_by("trade_id")
    assert back.to_pylist() == expected.to_pylist()
    assert (
        back.column("trade_time").cast(pa.int64()).to_pylist()
        == expected.column("trade_time").cast(pa.int64()).to_pylist()
    )
    assert back.column("is_best_match").null_count == 4
    # -0.0 == 0.0, so compare the bits of every float as well.
    for name in ("price", "qty"):
        assert back.column(name).cast(pa.float64()).to_numpy().tobytes() == expected.column(name).to_numpy().tobytes()


def test_partition_is_read_back_ordered_by_id(warehouse):
    data = trades(8)
    shuffled = data.take([3, 7, 0, 5, 1, 6, 2, 4])
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, shuffled, load())
    assert warehouse.read_partition_arrow("spot_trades", "BTCUSDT", DAY).equals(
        data.cast(RAW_TABLES["spot_trades"].data_schema)
    )


def test_klines_are_read_back_ordered_by_open_time(warehouse):
    data = klines(6)
    warehouse.replace_partition("spot_klines_1m", "BTCUSDT", DAY, data.take([5, 0, 3, 1, 4, 2]), load())
    back = warehouse.read_partition("spot_klines_1m", "BTCUSDT", DAY)
    assert back["open_time"].is_monotonic_increasing
    pd.testing.assert_frame_equal(back, data.to_pandas())


def test_read_with_partition_columns(warehouse):
    warehouse.replace_partition("spot_agg_trades", "ETHUSDT", DAY, agg_trades(3), load())
    frame = warehouse.read_partition("spot_agg_trades", "ETHUSDT", DAY, include_partition_columns=True)
    assert list(frame.columns[:2]) == ["symbol", "trade_date"]
    assert set(frame["symbol"]) == {"ETHUSDT"}
    assert set(frame["trade_date"]) == {DAY}


def test_missing_partition_reads_empty_with_canonical_columns(warehouse):
    frame = warehouse.read_partition("spot_trades", "NOPE", DAY)
    assert frame.empty
    assert list(frame.columns) == SCHEMAS[ArchiveKind.TRADES].names
    assert warehouse.partition_row_count("spot_trades", "NOPE", DAY) == 0
    assert warehouse.load_log("spot_trades", "NOPE", DAY) is None


def test_inputs_are_cast_safely_to_the_canonical_types(warehouse):
    data = trades(4)
    loose = data.set_column(0, "trade_id", pc.cast(data.column("trade_id"), pa.int32()))
    loose = loose.set_column(4, "trade_time", pc.cast(data.column("trade_time"), pa.timestamp("us", tz="UTC")))
    loose = loose.select(list(reversed(loose.column_names)))  # column order does not matter, names do
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, loose, load())
    assert warehouse.read_partition_arrow("spot_trades", "BTCUSDT", DAY).to_pylist() == data.to_pylist()


def test_tables_days_and_symbols_are_accepted_in_every_spelling(warehouse):
    data = klines(2)
    warehouse.replace_partition(ArchiveKind.KLINES, "BTCUSDT", "2025-01-01", data, load())
    assert warehouse.partition_row_count("raw.spot_klines_1m", "BTCUSDT", DAY) == 2
    assert warehouse.partition_row_count(raw_table_for("klines"), "BTCUSDT", DAY) == 2
    with pytest.raises(KeyError, match="unknown raw table"):
        warehouse.partition_row_count("spot_nope", "BTCUSDT", DAY)
    with pytest.raises(TypeError, match="not a datetime"):
        warehouse.read_partition("spot_klines_1m", "BTCUSDT", dt.datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        warehouse.read_partition("spot_klines_1m", "BTCUSDT", "01/01/2025")
    with pytest.raises(ValueError, match="symbol"):
        warehouse.replace_partition("spot_klines_1m", " ", DAY, data, load())


# --- idempotency and isolation ---------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_same_partition_twice_leaves_one_copy(warehouse, table):
    data = sample(table)
    warehouse.replace_partition(table, "BTCUSDT", DAY, data, load())
    warehouse.replace_partition(table, "BTCUSDT", DAY, data, load())
    assert warehouse.partition_row_count(table, "BTCUSDT", DAY) == data.num_rows
    assert warehouse.read_partition_arrow(table, "BTCUSDT", DAY).to_pylist() == data.to_pylist()
    assert load_log_rows(warehouse) == 1


def test_replace_leaves_other_partitions_untouched(warehouse):
    others = {
        ("spot_trades", "BTCUSDT", DAY2): trades(4, start_id=9_000, day=DAY2),
        ("spot_trades", "ETHUSDT", DAY): trades(5, start_id=7_000, price0=3_300.0),
        ("spot_agg_trades", "BTCUSDT", DAY): agg_trades(3),
        ("spot_klines_1m", "BTCUSDT", DAY): klines(3),
    }
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(6), load())
    for (table, symbol, day), data in others.items():
        warehouse.replace_partition(table, symbol, day, data, load(url=f"{table}/{symbol}/{day}"))
    before = {key: snapshot(warehouse, *key) for key in others}

    replacement = trades(2, start_id=1, price0=1.5)
    assert warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, replacement, load(sha="cd" * 32)) == 2

    assert warehouse.read_partition_arrow("spot_trades", "BTCUSDT", DAY).to_pylist() == replacement.to_pylist()
    for key in others:
        assert snapshot(warehouse, *key) == before[key], key
    assert load_log_rows(warehouse) == 6  # the replaced partition keeps its first version too


def test_empty_data_empties_the_partition_and_is_logged(warehouse):
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(3), load())
    empty = trades(0)
    assert warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, empty, load(sha="00" * 32)) == 0
    assert warehouse.partition_row_count("spot_trades", "BTCUSDT", DAY) == 0
    log = warehouse.load_log("spot_trades", "BTCUSDT", DAY)
    assert log["rows"] == 0
    assert log["first_id"] is log["last_id"] is log["first_time"] is log["last_time"] is None
    assert log["sha256"] == "00" * 32


# --- failures leave the previous copy ------------------------------------------------------------


def _with_column(data: pa.Table, name: str, values: pa.Array) -> pa.Table:
    return data.set_column(data.column_names.index(name), name, values)


def _null_price(data: pa.Table) -> pa.Table:
    prices = data.column("price").to_pylist()
    prices[-1] = None
    return _with_column(data, "price", pa.array(prices, pa.float64()))


def _null_id(data: pa.Table) -> pa.Table:
    ids = data.column("trade_id").to_pylist()
    ids[0] = None
    return _with_column(data, "trade_id", pa.array(ids, pa.int64()))


BAD_DATA = {
    "uncastable_type": (lambda d: _with_column(d, "price", pa.array(["abc"] * d.num_rows)), PartitionDataError),
    "lossy_cast": (
        lambda d: _with_column(d, "price", pa.array(["1.5"] * d.num_rows)).set_column(
            0, "trade_id", pa.array([1.5] * d.num_rows)
        ),
        PartitionDataError,
    ),
    "missing_column": (lambda d: d.drop_columns(["qty"]), PartitionDataError),
    "extra_column": (lambda d: d.append_column("note", pa.array(["x"] * d.num_rows)), PartitionDataError),
    "partition_column": (lambda d: d.append_column("symbol", pa.array(["BTCUSDT"] * d.num_rows)), PartitionDataError),
    "null_in_not_null_price": (_null_price, PartitionWriteError),
    "null_in_not_null_id": (_null_id, PartitionWriteError),
    "not_arrow": (lambda d: d.to_pylist(), PartitionDataError),
}


@pytest.mark.parametrize("bad", list(BAD_DATA))
def test_failing_replace_keeps_previous_copy_and_load_log(warehouse, bad):
    make_bad, error = BAD_DATA[bad]
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(6), load())
    before = snapshot(warehouse, "spot_trades", "BTCUSDT", DAY)

    bad_data = make_bad(trades(9, start_id=50))
    with pytest.raises(error):
        warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, bad_data, load(sha="ff" * 32))

    assert snapshot(warehouse, "spot_trades", "BTCUSDT", DAY) == before
    assert warehouse.partition_row_count("spot_trades", "BTCUSDT", DAY) == 6


def test_null_in_not_null_column_fails_inside_the_transaction(warehouse):
    """The NULL is only caught by the database, after the DELETE ran: the rollback must undo it."""
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(6), load())
    with pytest.raises(PartitionWriteError, match="rolled back") as info:
        warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, _null_price(trades(3)), load())
    assert info.value.__cause__ is not None  # the engine's own error
    assert "price" in str(info.value).lower() or "null" in str(info.value).lower()
    assert warehouse.partition_row_count("spot_trades", "BTCUSDT", DAY) == 6


def test_exception_after_delete_and_insert_rolls_everything_back(warehouse, monkeypatch):
    warehouse.replace_partition("spot_agg_trades", "BTCUSDT", DAY, agg_trades(5), load())
    before = snapshot(warehouse, "spot_agg_trades", "BTCUSDT", DAY)

    def boom(self, *args, **kwargs):
        raise RuntimeError("injected failure while writing the load_log")

    monkeypatch.setattr(type(warehouse), "_write_load_log", boom)
    with pytest.raises(PartitionWriteError, match="injected failure") as info:
        warehouse.replace_partition("spot_agg_trades", "BTCUSDT", DAY, agg_trades(2, start_id=1), load(sha="ee" * 32))
    assert isinstance(info.value.__cause__, RuntimeError)
    monkeypatch.undo()

    assert snapshot(warehouse, "spot_agg_trades", "BTCUSDT", DAY) == before


def test_failing_first_load_leaves_nothing(warehouse, monkeypatch):
    monkeypatch.setattr(type(warehouse), "_write_load_log", lambda *a, **k: 1 / 0)
    with pytest.raises(PartitionWriteError):
        warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(3), load())
    monkeypatch.undo()
    assert warehouse.partition_row_count("spot_trades", "BTCUSDT", DAY) == 0
    assert warehouse.load_log("spot_trades", "BTCUSDT", DAY) is None


# --- load_log --------------------------------------------------------------------------------------


def test_load_log_keeps_every_version_of_a_partition(warehouse):
    first = trades(6, start_id=100)
    t0 = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, first, load(url="https://x/a.zip", sha="aa" * 32))
    log = warehouse.load_log("spot_trades", "BTCUSDT", DAY)
    times = first.column("trade_time").to_pylist()
    assert log == {
        "table_name": "spot_trades",
        "symbol": "BTCUSDT",
        "trade_date": DAY,
        "version": 1,
        "rows": 6,
        "first_id": 100,
        "last_id": 105,
        "first_time": min(times),
        "last_time": max(times),
        "source_url": "https://x/a.zip",
        "sha256": "aa" * 32,
        "loaded_at": log["loaded_at"],
        "superseded_at": None,
    }
    assert t0 - dt.timedelta(seconds=1) <= log["loaded_at"] <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert warehouse.loaded_sha256("spot_trades", DAY, "BTCUSDT") == "aa" * 32

    # The same file again is not a new version: the current row is refreshed.
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, first, load(url="https://x/a.zip", sha="aa" * 32))
    assert [v["version"] for v in warehouse.load_log_history("spot_trades", DAY, "BTCUSDT")] == [1]

    # Binance replaced the archive: version 2 is current, version 1 stays, superseded.
    second = trades(3, start_id=200)
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, second, load(url="https://x/a.zip", sha="bb" * 32))
    new = warehouse.load_log("spot_trades", "BTCUSDT", DAY)
    assert (new["version"], new["rows"], new["first_id"], new["last_id"]) == (2, 3, 200, 202)
    assert new["sha256"] == "bb" * 32 and new["superseded_at"] is None
    history = warehouse.load_log_history("spot_trades", "2025-01-01", "BTCUSDT")
    assert [(v["version"], v["sha256"], v["rows"]) for v in history] == [(1, "aa" * 32, 6), (2, "bb" * 32, 3)]
    assert history[0]["superseded_at"] == new["loaded_at"]
    assert warehouse.loaded_sha256("spot_trades", DAY, "BTCUSDT") == "bb" * 32
    assert warehouse.loaded_sha256("spot_trades", DAY2, "BTCUSDT") is None
    assert load_log_rows(warehouse) == 2

    # ... and the first file back again is version 3, not a revival of version 1.
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, first, load(url="https://x/a.zip", sha="aa" * 32))
    history = warehouse.load_log_history("spot_trades", DAY, "BTCUSDT")
    assert [(v["version"], v["sha256"], v["superseded_at"] is None) for v in history] == [
        (1, "aa" * 32, False),
        (2, "bb" * 32, False),
        (3, "aa" * 32, True),
    ]


def test_loaded_sha256s_reads_many_partitions_at_once(warehouse):
    for day, symbol, sha in [(DAY, "BTCUSDT", "aa"), (DAY2, "BTCUSDT", "bb"), (DAY, "ETHUSDT", "cc")]:
        warehouse.replace_partition("spot_trades", symbol, day, trades(2, day=day), load(sha=sha * 32))
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(3), load(sha="dd" * 32))
    assert warehouse.loaded_sha256s("spot_trades") == {
        (DAY, "BTCUSDT"): "dd" * 32,
        (DAY2, "BTCUSDT"): "bb" * 32,
        (DAY, "ETHUSDT"): "cc" * 32,
    }
    assert warehouse.loaded_sha256s("spot_trades", symbols=["BTCUSDT"], start=DAY2) == {(DAY2, "BTCUSDT"): "bb" * 32}
    assert warehouse.loaded_sha256s("spot_agg_trades") == {}
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        warehouse.loaded_sha256("spot_trades", "BTCUSDT", DAY)  # arguments swapped: a clear error


def test_klines_load_log_has_times_but_no_ids(warehouse):
    data = klines(5)
    warehouse.replace_partition("spot_klines_1m", "BTCUSDT", DAY, data, LoadRecord(source_url=None, sha256=None))
    log = warehouse.load_log("spot_klines_1m", "BTCUSDT", DAY)
    assert log["first_id"] is None and log["last_id"] is None
    assert log["first_time"] == dt.datetime(2025, 1, 1)
    assert log["last_time"] == dt.datetime(2025, 1, 1, 0, 4)
    assert log["source_url"] is None and log["sha256"] is None


def test_load_record_stats_must_match_the_data(warehouse):
    data = trades(4, start_id=10)
    times = data.column("trade_time").to_pylist()
    good = LoadRecord(
        "u", "s", first_id=10, last_id=13, first_time=times[0], rows=4, last_time=times[-1].replace(tzinfo=dt.UTC)
    )  # tz-aware UTC is fine
    assert warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, data, good) == 4
    before = snapshot(warehouse, "spot_trades", "BTCUSDT", DAY)
    with pytest.raises(PartitionDataError, match="last_id"):
        warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(2), LoadRecord("u", "s", last_id=13))
    assert snapshot(warehouse, "spot_trades", "BTCUSDT", DAY) == before


# --- query -----------------------------------------------------------------------------------------


def test_query_takes_qmark_params_and_leaves_literals_alone(warehouse):
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(6), load())
    warehouse.replace_partition("spot_trades", "ETHUSDT", DAY, trades(4), load())
    frame = warehouse.query(
        "SELECT symbol, count(*) AS n, '50%?' AS lit, sum(trade_id) AS s, max(trade_time) AS t "
        "FROM raw.spot_trades -- a comment with a ? in it\n"
        "WHERE trade_date = ? AND symbol <> ? /* and ? here */ GROUP BY symbol ORDER BY symbol",
        [DAY, "XRPUSDT"],
    )
    assert frame["symbol"].tolist() == ["BTCUSDT", "ETHUSDT"]
    assert frame["n"].tolist() == [6, 4]
    assert frame["lit"].tolist() == ["50%?", "50%?"]
    assert frame["s"].tolist() == [float(sum(range(1000, 1006))), float(sum(range(1000, 1004)))]
    assert str(frame["n"].dtype) == "int64"
    assert str(frame["t"].dtype) == "datetime64[us]"
    assert warehouse.query("SELECT 1 AS one WHERE 1 = 0").columns.tolist() == ["one"]


def test_query_results_have_the_same_dtypes_on_both_engines(warehouse):
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(6), load())
    frame = warehouse.query("SELECT * FROM raw.spot_trades ORDER BY trade_id")
    expected = trades(6).to_pandas()
    expected.insert(0, "trade_date", [DAY] * 6)
    expected.insert(0, "symbol", pd.Series(["BTCUSDT"] * 6, dtype=frame["symbol"].dtype))
    pd.testing.assert_frame_equal(frame, expected)


# --- factory ---------------------------------------------------------------------------------------


def test_make_warehouse(tmp_path):
    duck = make_warehouse("duckdb", duckdb_path=tmp_path / "w.duckdb")
    assert isinstance(duck, DuckDBWarehouse) and duck.path == (tmp_path / "w.duckdb").resolve()
    pg = make_warehouse("postgres", postgres_url="postgresql://postgres@127.0.0.1:5432/x")
    assert isinstance(pg, PostgresWarehouse) and pg.url.endswith("/x")
    with pytest.raises(ValueError, match="unknown warehouse kind"):
        make_warehouse("sqlite")


def test_drop_all_then_reuse(warehouse):
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(3), load())
    warehouse.drop_all()
    assert warehouse.partition_row_count("spot_trades", "BTCUSDT", DAY) == 0  # recreated on demand
    assert load_log_rows(warehouse) == 0
