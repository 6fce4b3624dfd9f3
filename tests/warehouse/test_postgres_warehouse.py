"""PostgreSQL specifics: placeholder rewriting, the binary COPY encoder, indexes, concurrent replaces."""

from __future__ import annotations

import datetime as dt
import struct
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pyarrow as pa
import pytest
from warehouse.helpers import DAY, features, load, trades

from binance_assets.warehouse import RAW_TABLES, PostgresWarehouse, pg_copy
from binance_assets.warehouse.postgres_warehouse import encode_copy_binary, qmark_to_dollar


@pytest.mark.parametrize(
    ("query", "expected", "count"),
    [
        ("SELECT ? + ?", "SELECT $1 + $2", 2),
        ("SELECT '?', \"a?\" FROM t WHERE x = ?", "SELECT '?', \"a?\" FROM t WHERE x = $1", 1),
        ("SELECT 'it''s ?' WHERE y = ?", "SELECT 'it''s ?' WHERE y = $1", 1),
        ("SELECT 1 -- what?\nWHERE z = ?", "SELECT 1 -- what?\nWHERE z = $1", 1),
        ("SELECT /* ? */ ?", "SELECT /* ? */ $1", 1),
        ("SELECT $$a ? b$$, $tag$?$tag$, ?", "SELECT $$a ? b$$, $tag$?$tag$, $1", 1),
        ("SELECT '100%' WHERE a = ?", "SELECT '100%' WHERE a = $1", 1),
        ("SELECT 1", "SELECT 1", 0),
    ],
)
def test_qmark_to_dollar(query, expected, count):
    assert qmark_to_dollar(query) == (expected, count)


def _fields(buf: bytes) -> list[list[bytes | None]]:
    """Decode binary COPY rows (no header) into the raw bytes of each field."""
    rows, i = [], 0
    while i < len(buf):
        (n,) = struct.unpack_from(">h", buf, i)
        i += 2
        row = []
        for _ in range(n):
            (length,) = struct.unpack_from(">i", buf, i)
            i += 4
            if length < 0:
                row.append(None)
            else:
                row.append(buf[i : i + length])
                i += length
        rows.append(row)
    return rows


def test_binary_copy_encoding():
    table = pa.table(
        {
            "i": pa.array([1, None, -2], pa.int64()),
            "f": pa.array([0.5, -1.25, None], pa.float64()),
            "t": pa.array(
                [dt.datetime(2000, 1, 1, 0, 0, 0, 1), None, dt.datetime(1999, 12, 31, 23, 59, 59)], pa.timestamp("us")
            ),
            "b": pa.array([True, False, None]),
        }
    )
    rows = _fields(encode_copy_binary(table, ["BTCUSDT", dt.date(2000, 1, 3)]))
    assert len(rows) == 3
    for row in rows:
        assert row[0] == b"BTCUSDT"
        assert row[1] == struct.pack(">i", 2)  # days since 2000-01-01
    assert [r[2] for r in rows] == [struct.pack(">q", 1), None, struct.pack(">q", -2)]
    assert [r[3] for r in rows] == [struct.pack(">d", 0.5), struct.pack(">d", -1.25), None]
    assert [r[4] for r in rows] == [struct.pack(">q", 1), None, struct.pack(">q", -1_000_000)]
    assert [r[5] for r in rows] == [b"\x01", b"\x00", None]


def test_binary_copy_encoding_of_strings_and_dates():
    values = ["BTC", None, "", "tempête ⚡", "x" * 300, None]
    days = [dt.date(2000, 1, 1), None, dt.date(1999, 12, 31), dt.date(2025, 1, 1), None, dt.date(1970, 1, 1)]
    table = pa.table({"s": pa.array(values), "d": pa.array(days, pa.date32()), "i": pa.array(range(6), pa.int64())})
    for sliced in (table, table.slice(1, 4), pa.concat_tables([table.slice(0, 2), table.slice(2)])):
        rows = _fields(encode_copy_binary(sliced, ["S"]))
        expected = sliced.to_pylist()
        assert len(rows) == len(expected)
        for row, want in zip(rows, expected, strict=True):
            assert row[0] == b"S"
            assert row[1] == (None if want["s"] is None else want["s"].encode())
            assert row[2] == (None if want["d"] is None else struct.pack(">i", (want["d"] - dt.date(2000, 1, 1)).days))
            assert row[3] == struct.pack(">q", want["i"])
    assert encode_copy_binary(table.slice(0, 0), ["S"]) == b""
    assert _fields(encode_copy_binary(pa.table({"s": pa.array([None, None], pa.string())}))) == [[None], [None]]


@pytest.mark.postgres
def test_long_strings_are_copied_in_smaller_chunks(fresh_postgres_url, monkeypatch):
    monkeypatch.setattr(pg_copy, "COPY_CHUNK_STRING_BYTES", 2_000)  # longest value: 546 bytes, 3 rows a chunk
    data = features(40)
    data = data.set_column(
        data.column_names.index("regime"), "regime", pa.array([("é" * i * 7) or None for i in range(40)])
    )
    chunks = list(pg_copy.copy_binary_chunks(data.drop_columns(["symbol", "trade_date"]), ["BTCUSDT", DAY]))
    assert len(chunks) == 2 + 14  # header, ceil(40 / 3) chunks, trailer
    wh = PostgresWarehouse(fresh_postgres_url)
    assert wh.replace_table_partition("features.long_text", "BTCUSDT", DAY, data) == 40
    assert wh.read_table_arrow("features.long_text").to_pylist() == data.to_pylist()


@pytest.mark.postgres
def test_concurrent_first_writes_of_a_new_table_create_it_once(fresh_postgres_url):
    symbols = [f"S{i}USDT" for i in range(6)]

    def write(symbol: str) -> int:
        return PostgresWarehouse(fresh_postgres_url).replace_table_partition(
            "features.minute_features", symbol, DAY, features(50, symbol=symbol)
        )

    with ThreadPoolExecutor(len(symbols)) as pool:
        assert list(pool.map(write, symbols)) == [50] * len(symbols)
    wh = PostgresWarehouse(fresh_postgres_url)
    back = wh.read_table_arrow("features.minute_features")
    assert back.num_rows == 50 * len(symbols)
    assert sorted(set(back["symbol"].to_pylist())) == symbols
    indexes = wh.query("SELECT indexdef FROM pg_indexes WHERE schemaname = 'features'")
    assert len(indexes) == 1 and "(symbol, trade_date)" in indexes["indexdef"][0]


@pytest.mark.postgres
def test_concurrent_replaces_of_one_derived_partition_leave_one_copy(fresh_postgres_url):
    PostgresWarehouse(fresh_postgres_url).replace_table_partition("ml.p", "BTCUSDT", DAY, features(1))
    sizes = [100, 200, 300, 400, 500]

    def replace(n: int) -> int:
        return PostgresWarehouse(fresh_postgres_url).replace_table_partition("ml.p", "BTCUSDT", DAY, features(n))

    with ThreadPoolExecutor(len(sizes)) as pool:
        assert sorted(pool.map(replace, sizes)) == sizes
    assert PostgresWarehouse(fresh_postgres_url).read_table_arrow("ml.p").num_rows in sizes


def test_session_options_are_added_to_the_url_options():
    wh = PostgresWarehouse("postgresql://u:secret@h:5/db?options=-c%20search_path%3Dx")
    conninfo = wh._conninfo()
    assert "search_path=x" in conninfo and "extra_float_digits=1" in conninfo
    assert "secret" not in repr(wh)


@pytest.mark.postgres
def test_each_raw_table_has_a_partition_index(postgres_url):
    wh = PostgresWarehouse(postgres_url)
    wh.ensure_schema()
    indexes = wh.query("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = ?", ["raw"])
    for name in RAW_TABLES:
        defs = indexes[indexes["tablename"] == name]["indexdef"].tolist()
        assert any("(symbol, trade_date)" in d for d in defs), (name, defs)
    log = indexes[indexes["tablename"] == "load_log"]["indexdef"].tolist()
    assert any("UNIQUE" in d and "(table_name, symbol, trade_date, version)" in d for d in log)


@pytest.mark.postgres
def test_concurrent_replaces_of_one_partition_leave_one_copy(postgres_url):
    """Without the partition lock both transactions would delete only what they see: two copies."""
    PostgresWarehouse(postgres_url).drop_all()
    PostgresWarehouse(postgres_url).ensure_schema()
    sizes = [300, 500, 700, 900, 1100, 1300]

    def replace(n: int) -> int:
        return PostgresWarehouse(postgres_url).replace_partition(
            "spot_trades", "BTCUSDT", DAY, trades(n), load(sha=f"{n:064d}")
        )

    with ThreadPoolExecutor(len(sizes)) as pool:
        assert sorted(pool.map(replace, sizes)) == sizes
    wh = PostgresWarehouse(postgres_url)
    count = wh.partition_row_count("spot_trades", "BTCUSDT", DAY)
    assert count in sizes
    log = wh.load_log("spot_trades", "BTCUSDT", DAY)
    assert log["rows"] == count and log["sha256"] == f"{count:064d}"


@pytest.mark.postgres
def test_concurrent_ensure_schema_does_not_collide(fresh_postgres_url):
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda _: PostgresWarehouse(fresh_postgres_url).ensure_schema(), range(6)))
    assert PostgresWarehouse(fresh_postgres_url).partition_row_count("spot_trades", "BTCUSDT", DAY) == 0


@pytest.mark.postgres
def test_timestamps_are_utc_whatever_the_server_time_zone(fresh_postgres_url):
    with psycopg.connect(fresh_postgres_url, autocommit=True) as conn:
        dbname = conn.info.dbname
        conn.execute(f"ALTER DATABASE \"{dbname}\" SET TimeZone = 'America/New_York'")
        conn.execute(f'ALTER DATABASE "{dbname}" SET extra_float_digits = 0')  # would lose float digits
    wh = PostgresWarehouse(fresh_postgres_url)
    data = trades(3)
    wh.replace_partition("spot_trades", "BTCUSDT", DAY, data, load())
    assert wh.read_partition_arrow("spot_trades", "BTCUSDT", DAY).to_pylist() == data.to_pylist()
    types = wh.query(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = 'raw' AND column_name = 'trade_time'"
    )
    assert set(types["data_type"]) == {"timestamp without time zone"}
