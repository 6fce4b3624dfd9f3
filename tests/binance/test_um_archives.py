"""The simulator writes USD-M futures archives byte for byte as Binance does: the real samples of shared/fixtures
(`um/BTCUSDT-{trades,aggTrades}-2026-09-15.csv`, header row, lower-case booleans, amounts as short decimals),
fed to the simulator's renderer as integer units, come back as the exact bytes of the files; the simulated
mirror's USD-M archives have the same layout (read field by field with the csv module, not the reader) and the
reader returns exactly the simulator's table for them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from binance_assets.binance.datasets import DATASETS
from binance_assets.binance.reader import read_archive
from binance_assets.binance.sim_day import RawDay, generate_day
from binance_assets.binance.sim_render import dataset_csv, dataset_table
from binance_assets.binance.simulator import simulate_mirror

DAY = dt.date(2026, 9, 15)
DAY_MS = 1789430400000  # 2026-09-15T00:00:00Z
# Binance's futures amounts: a short decimal with at least one digit after the point, never zero-padded.
PLAIN = re.compile(r"^(0|[1-9]\d*)\.(0|\d*[1-9])$")


def _units(text: str) -> int:
    return int(Decimal(text) * 10**8)


def _raw_from_samples(fixtures_dir: Path) -> RawDay:
    """The real rows as the simulator's integer day (units of 1e-8, ms offsets from midnight)."""
    trades = list(csv.DictReader(io.StringIO((fixtures_dir / "um/BTCUSDT-trades-2026-09-15.csv").read_text())))
    aggs = list(csv.DictReader(io.StringIO((fixtures_dir / "um/BTCUSDT-aggTrades-2026-09-15.csv").read_text())))
    ints = lambda rows, key, f=int: np.array([f(r[key]) for r in rows], dtype=np.int64)  # noqa: E731
    flags = lambda rows: np.array([r["is_buyer_maker"] == "true" for r in rows])  # noqa: E731
    return RawDay(
        symbol="BTCUSDT", day=DAY, unit="ms", day_start=DAY_MS,
        trade_id=ints(trades, "id"), price=ints(trades, "price", _units), qty=ints(trades, "qty", _units),
        quote=ints(trades, "quote_qty", _units), time=ints(trades, "time") - DAY_MS, buyer_maker=flags(trades),
        agg_id=ints(aggs, "agg_trade_id"), agg_price=ints(aggs, "price", _units),
        agg_qty=ints(aggs, "quantity", _units), agg_first=ints(aggs, "first_trade_id"),
        agg_last=ints(aggs, "last_trade_id"), agg_time=ints(aggs, "transact_time") - DAY_MS,
        agg_buyer_maker=flags(aggs), klines={},
    )  # fmt: skip


@pytest.mark.parametrize(("dataset_id", "name"), [("um_trades", "BTCUSDT-trades-2026-09-15.csv"),
                                                  ("um_agg_trades", "BTCUSDT-aggTrades-2026-09-15.csv")])
def test_the_renderer_reproduces_real_usd_m_archives_byte_for_byte(fixtures_dir: Path, dataset_id: str, name: str):
    raw = _raw_from_samples(fixtures_dir)
    assert dataset_csv(raw, DATASETS[dataset_id]) == (fixtures_dir / "um" / name).read_bytes()


def test_simulated_usd_m_archives_have_binance_layout(tmp_path: Path, fixtures_dir: Path):
    datasets = [DATASETS[i] for i in ("um_trades", "um_agg_trades", "um_klines_1m")]
    paths = simulate_mirror(tmp_path, ["BTCUSDT"], dt.date(2025, 1, 2), 1, trades_per_day=500, datasets=datasets)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-02.zip",
        "data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-01-02.zip",
        "data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-02.zip",
    ]
    real_headers = {
        "um_trades": (fixtures_dir / "um/BTCUSDT-trades-2026-09-15.csv").read_text().splitlines()[0],
        "um_agg_trades": (fixtures_dir / "um/BTCUSDT-aggTrades-2026-09-15.csv").read_text().splitlines()[0],
        # binance/binance-public-data README: the futures klines header
        "um_klines_1m": "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
                        "taker_buy_quote_volume,ignore",
    }
    amounts = {"um_trades": ["price", "qty", "quote_qty"], "um_agg_trades": ["price", "quantity"],
               "um_klines_1m": ["open", "high", "low", "close", "volume", "quote_volume", "taker_buy_volume",
                                "taker_buy_quote_volume"]}
    day_ms = 1735776000000  # 2025-01-02T00:00:00Z: futures archives stayed in milliseconds
    for ds, path in zip(datasets, paths, strict=True):
        with zipfile.ZipFile(path) as zf:
            [member] = zf.namelist()
            text = zf.read(member).decode()
        assert member == path.name.replace(".zip", ".csv")
        assert text.splitlines()[0] == real_headers[ds.id]
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows and text.endswith("\n") and "\r" not in text
        for column in amounts[ds.id]:
            assert all(PLAIN.match(r[column]) for r in rows), (ds.id, column, rows[0][column])
        time_column = {"um_trades": "time", "um_agg_trades": "transact_time", "um_klines_1m": "open_time"}[ds.id]
        assert all(day_ms <= int(r[time_column]) < day_ms + 86_400_000 for r in rows)
        if ds.id != "um_klines_1m":
            assert {r["is_buyer_maker"] for r in rows} == {"true", "false"}
        contents = read_archive(path)
        assert (contents.market.value, contents.kind, contents.timestamp_unit) == ("futures/um", ds.kind, "ms")
        raw = generate_day("BTCUSDT", dt.date(2025, 1, 2), 7, 500)
        assert contents.table.equals(dataset_table(raw, ds))
