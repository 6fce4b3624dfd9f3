"""The simulator writes archives in Binance's exact format, consistent across days."""

from __future__ import annotations

import hashlib
import itertools
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from binance_assets.binance.checksum import parse_checksum
from binance_assets.binance.reader import check_no_duplicate_ids, read_archive
from binance_assets.binance.schema import ArchiveKind, Market
from binance_assets.binance.simulator import simulate_day, simulate_mirror
from binance_assets.binance.urls import ArchiveSpec

DAY_MS = date(2024, 12, 31)
DAY_US = date(2025, 1, 1)
SYMBOLS = ["BTCUSDT", "ETHUSDT"]


def _zip_csv(path: Path) -> tuple[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        (name,) = zf.namelist()
        return name, zf.read(name)


@pytest.mark.parametrize("symbol", SYMBOLS)
@pytest.mark.parametrize("day", [DAY_MS, DAY_US])
@pytest.mark.parametrize("kind", list(ArchiveKind))
def test_round_trip(sim_mirror: Path, symbol: str, day: date, kind: ArchiveKind) -> None:
    spec = ArchiveSpec(symbol, kind, day=day)
    contents = read_archive(sim_mirror / spec.relative_path)
    expected = simulate_day(symbol, day, trades_per_day=3000).table(kind)
    assert contents.kind is kind and contents.table.equals(expected)
    assert contents.timestamp_unit == ("ms" if day < DAY_US else "us")
    assert contents.had_header is False
    if kind is not ArchiveKind.KLINES:
        assert contents.market is Market.SPOT
    check_no_duplicate_ids(contents)


def test_mirror_layout_and_checksums(sim_mirror: Path) -> None:
    zips = sorted(sim_mirror.rglob("*.zip"))
    assert len(zips) == 2 * 2 * 3
    for path in zips:
        checksum = path.with_name(path.name + ".CHECKSUM")
        text = checksum.read_bytes()
        assert not text.endswith(b"\n")
        assert re.fullmatch(rb"[0-9a-f]{64}  " + re.escape(path.name.encode()), text)
        assert parse_checksum(checksum) == (hashlib.sha256(path.read_bytes()).hexdigest(), path.name)
        csv_name, _ = _zip_csv(path)
        assert csv_name == path.name[:-4] + ".csv"
    assert not list(sim_mirror.rglob("*.part"))


def test_trades_byte_format(sim_mirror: Path) -> None:
    for day, digits in ((DAY_MS, 13), (DAY_US, 16)):
        spec = ArchiveSpec("BTCUSDT", ArchiveKind.TRADES, day=day)
        _, data = _zip_csv(sim_mirror / spec.relative_path)
        lines = data.decode().split("\n")
        assert lines[-1] == "" and "" not in lines[:-1]  # newline-terminated, no blank lines
        row = re.compile(rf"^\d+,\d+\.\d{{8}},\d+\.\d{{8}},\d+\.\d{{8}},\d{{{digits}}},(True|False),True$")
        assert all(row.match(line) for line in lines[:-1])
        for line in lines[:200]:  # quoteQty == price * qty exactly
            _, price, qty, quote, *_ = line.split(",")
            p, q, v = (int(x.replace(".", "")) for x in (price, qty, quote))
            assert p * q == v * 10**8


def test_agg_and_klines_byte_format(sim_mirror: Path) -> None:
    agg = ArchiveSpec("ETHUSDT", ArchiveKind.AGG_TRADES, day=DAY_US)
    _, data = _zip_csv(sim_mirror / agg.relative_path)
    line = data.decode().split("\n")[0]
    assert re.match(r"^\d+,\d+\.\d{8},\d+\.\d{8},\d+,\d+,\d{16},(True|False),True$", line)
    kl = ArchiveSpec("ETHUSDT", ArchiveKind.KLINES, day=DAY_MS)
    _, data = _zip_csv(sim_mirror / kl.relative_path)
    lines = data.decode().strip().split("\n")
    assert len(lines) == 1440
    fields = lines[0].split(",")
    assert len(fields) == 12 and fields[-1] == "0" and len(fields[0]) == 13
    assert int(fields[6]) - int(fields[0]) == 59_999


@pytest.mark.parametrize("signal", [0.0, 1.0])
def test_klines_recomputed_from_trades(signal: float) -> None:
    sim = simulate_day("BTCUSDT", DAY_US, trades_per_day=5000, signal=signal)
    t = sim.trades.to_pandas()
    t["minute"] = t.trade_time.dt.floor("min")
    t["taker_qty"] = t.qty.where(~t.is_buyer_maker, 0.0)
    t["taker_quote"] = t.quote_qty.where(~t.is_buyer_maker, 0.0)
    g = t.groupby("minute")
    bars = pd.DataFrame(
        {
            "open": g.price.first(),
            "high": g.price.max(),
            "low": g.price.min(),
            "close": g.price.last(),
            "volume": g.qty.sum(),
            "quote_volume": g.quote_qty.sum(),
            "trade_count": g.size(),
            "taker_buy_base_volume": g.taker_qty.sum(),
            "taker_buy_quote_volume": g.taker_quote.sum(),
        }
    )
    k = sim.klines.to_pandas().set_index("open_time")
    assert len(k) == 1440 and k.index[0] == pd.Timestamp(DAY_US)
    assert (k.close_time - k.index == pd.Timedelta(seconds=60) - pd.Timedelta(microseconds=1)).all()
    traded = k.loc[bars.index]
    for col in ("open", "high", "low", "close", "trade_count"):
        assert (traded[col] == bars[col]).all(), col
    for col in ("volume", "quote_volume", "taker_buy_base_volume", "taker_buy_quote_volume"):
        np.testing.assert_allclose(traded[col], bars[col], rtol=1e-9)
    empty = k.drop(index=bars.index)
    assert (empty.trade_count == 0).all() and (empty.volume == 0).all()
    previous_close = k.close.shift(1).fillna(k.open.iloc[0]).loc[empty.index]
    assert (empty[["open", "high", "low", "close"]].eq(previous_close, axis=0)).all().all()


@pytest.mark.parametrize("signal", [0.0, 1.0])
def test_agg_trades_regroup_trades(signal: float) -> None:
    sim = simulate_day("ETHUSDT", DAY_MS, trades_per_day=5000, signal=signal)
    t = sim.trades.to_pandas()
    key = t[["trade_time", "price", "is_buyer_maker"]]
    new_group = (key != key.shift()).any(axis=1)
    t["group"] = new_group.cumsum() - 1
    g = t.groupby("group")
    a = sim.agg_trades.to_pandas()
    assert len(a) == g.ngroups
    assert (a.first_trade_id.to_numpy() == g.trade_id.min().to_numpy()).all()
    assert (a.last_trade_id.to_numpy() == g.trade_id.max().to_numpy()).all()
    assert (a.price.to_numpy() == g.price.first().to_numpy()).all()
    assert (a.trade_time.to_numpy() == g.trade_time.first().to_numpy()).all()
    np.testing.assert_allclose(a.qty.to_numpy(), g.qty.sum().to_numpy(), rtol=1e-12)
    assert np.all(np.diff(a.agg_trade_id.to_numpy()) == 1)
    assert (a.first_trade_id.iloc[1:].to_numpy() == a.last_trade_id.iloc[:-1].to_numpy() + 1).all()


def test_realistic_shape() -> None:
    sim = simulate_day("BTCUSDT", DAY_US, trades_per_day=20_000)
    t = sim.trades.to_pandas()
    assert 16_000 <= len(t) <= 24_000
    cents = np.rint(t.price.to_numpy() * 100)
    assert np.allclose(cents / 100, t.price.to_numpy(), rtol=0, atol=1e-9)  # on the 0.01 tick
    assert t.trade_time.is_monotonic_increasing
    assert (t.trade_time.dt.date == DAY_US).all()
    assert 0.3 < t.is_buyer_maker.mean() < 0.7
    assert t.is_best_match.all()
    assert t.qty.max() > 20 * t.qty.median()  # heavy tail
    assert t.trade_time.duplicated().mean() > 0.2  # bursts share a timestamp
    assert t.price.std() > 0


@pytest.mark.parametrize("signal", [0.0, 1.0])
def test_ids_continue_across_days_and_days_join(signal: float) -> None:
    days = [simulate_day("BTCUSDT", DAY_MS + timedelta(days=i), trades_per_day=2000, signal=signal) for i in range(3)]
    for prev, nxt in itertools.pairwise(days):
        assert nxt.trades["trade_id"][0].as_py() == prev.trades["trade_id"][-1].as_py() + 1
        assert nxt.agg_trades["agg_trade_id"][0].as_py() == (prev.agg_trades["agg_trade_id"][-1].as_py() + 1)
        last_close = prev.klines["close"][-1].as_py()
        first_open = nxt.trades["price"][0].as_py()
        assert abs(first_open / last_close - 1) < 0.01


@pytest.mark.parametrize("signal", [0.0, 1.0])
def test_day_alone_equals_day_in_multi_day_run(tmp_path: Path, signal: float) -> None:
    kinds = [ArchiveKind.TRADES]
    run = simulate_mirror(
        tmp_path / "run", ["XRPUSDT"], date(2023, 3, 1), 3, seed=11, trades_per_day=1500, kinds=kinds, signal=signal
    )
    alone = simulate_mirror(
        tmp_path / "alone", ["XRPUSDT"], date(2023, 3, 3), 1, seed=11, trades_per_day=1500, kinds=kinds, signal=signal
    )
    assert len(run) == 3 and len(alone) == 1
    assert run[2].read_bytes() == alone[0].read_bytes()
    a = simulate_day("XRPUSDT", date(2023, 3, 2), seed=11, trades_per_day=1500, signal=signal)
    assert read_archive(run[1]).table.equals(a.trades)
    prices = a.trades["price"].to_numpy()
    assert np.allclose(np.rint(prices * 10_000) / 10_000, prices, atol=1e-12)  # 0.0001 tick


def test_seed_matters() -> None:
    a = simulate_day("BTCUSDT", DAY_US, seed=1, trades_per_day=1000)
    b = simulate_day("BTCUSDT", DAY_US, seed=2, trades_per_day=1000)
    c = simulate_day("BTCUSDT", DAY_US, seed=1, trades_per_day=1000)
    assert a.trades.equals(c.trades) and not a.trades.equals(b.trades)


# sha256 of the CSVs recorded before `signal` existed: signal=0.0 must keep producing these bytes
GOLDEN = {
    ("BTCUSDT", DAY_MS): {
        ArchiveKind.TRADES: "1cb7794f26ea0062749999c5092738842b0fbcafae0be981d43d0c98ba20d220",
        ArchiveKind.AGG_TRADES: "9dfec8c2eda272b4af046b99c053c372cf0dc7a7574be07cc8b5d992cce6921f",
        ArchiveKind.KLINES: "ff12e3014251b503e7ba79b41685719725dd923c6ac02b29dbc83f8db753a708",
    },
    ("ETHUSDT", DAY_US): {
        ArchiveKind.TRADES: "8e173383eb18e9111282251a954d870bbaea21227e29dd53c62d53cb9adef729",
        ArchiveKind.AGG_TRADES: "609b5cb9f1362cec90f2a5c560ca588c814abf8dbceeb3caa20b36965639b023",
        ArchiveKind.KLINES: "9180f72986020a97444e8b2ebb5e09975127d028033a6aaf000c715626758eab",
    },
}


@pytest.mark.parametrize(("symbol", "day"), list(GOLDEN))
def test_signal_zero_is_byte_identical_to_before(symbol: str, day: date) -> None:
    default = simulate_day(symbol, day, trades_per_day=3000)
    explicit = simulate_day(symbol, day, trades_per_day=3000, signal=0.0)
    for kind, digest in GOLDEN[symbol, day].items():
        assert hashlib.sha256(default.csv_bytes(kind)).hexdigest() == digest, kind
        assert explicit.csv_bytes(kind) == default.csv_bytes(kind), kind


def _imbalance_vs_returns(signal: float, horizon: int) -> tuple[float, float]:
    """(corr, sign accuracy) of minute t's taker-buy imbalance vs log(close[t+h] / close[t]), 3 days."""
    bars = [
        simulate_day("BTCUSDT", DAY_MS + timedelta(days=i), seed=3, trades_per_day=20_000, signal=signal).klines
        for i in range(3)
    ]
    quote, bought, close = (
        np.concatenate([b[c].to_numpy() for b in bars]) for c in ("quote_volume", "taker_buy_quote_volume", "close")
    )
    traded = quote[:-horizon] > 0
    imbalance = ((2 * bought - quote)[:-horizon] / np.where(traded, quote[:-horizon], 1.0))[traded]
    ret = np.log(close[horizon:] / close[:-horizon])[traded]
    corr = float(np.corrcoef(imbalance, ret)[0, 1])
    accuracy = float(np.mean(np.sign(imbalance) == np.sign(ret)))
    return corr, accuracy


def test_signal_makes_imbalance_predict_returns() -> None:
    corr5, acc5 = _imbalance_vs_returns(1.0, 5)
    corr1, acc1 = _imbalance_vs_returns(1.0, 1)
    assert corr5 > 0.4 and acc5 > 0.6, (corr5, acc5)
    assert corr1 > 0.3 and acc1 > 0.6, (corr1, acc1)
    weak, _ = _imbalance_vs_returns(0.25, 5)
    assert 0.1 < weak < corr5
    none5, _ = _imbalance_vs_returns(0.0, 5)
    none1, _ = _imbalance_vs_returns(0.0, 1)
    assert abs(none5) < 0.05 and abs(none1) < 0.05, (none5, none1)


def test_signal_changes_only_sides_and_prices() -> None:
    plain = simulate_day("ETHUSDT", DAY_US, trades_per_day=5000)
    planted = simulate_day("ETHUSDT", DAY_US, trades_per_day=5000, signal=1.0)
    for name in ("trade_id", "qty", "trade_time"):
        assert planted.trades[name].equals(plain.trades[name]), name
    assert not planted.trades["price"].equals(plain.trades["price"])
    t = planted.trades.to_pandas()
    assert 0.3 < t.is_buyer_maker.mean() < 0.7
    assert np.allclose(np.rint(t.price * 100) / 100, t.price, rtol=0, atol=1e-9)  # on the 0.01 tick
    close, first = plain.klines["close"][-1].as_py(), planted.klines["open"][0].as_py()
    assert abs(planted.klines["close"][-1].as_py() / close - 1) < 0.005  # same endpoints as without
    assert abs(first / plain.klines["open"][0].as_py() - 1) < 0.005


@pytest.mark.parametrize("signal", [-0.5, float("nan"), float("inf")])
def test_signal_must_be_finite_and_non_negative(signal: float) -> None:
    with pytest.raises(ValueError, match="signal"):
        simulate_day("BTCUSDT", DAY_US, trades_per_day=500, signal=signal)
