"""The exchange-scale simulator (sim_universe + simulate_universe_mirror): a power law of daily volumes,
listings and delistings, deterministic by seed, archives written by the same writer as `simulate_mirror`."""

from __future__ import annotations

import zipfile
from datetime import date, timedelta

import numpy as np
import pytest

from binance_assets.binance.checksum import parse_checksum
from binance_assets.binance.errors import UnknownSymbol
from binance_assets.binance.reader import read_archive
from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.sim_universe import make_universe, universe_from_settings
from binance_assets.binance.simulator import simulate_mirror, simulate_universe_mirror
from binance_assets.settings import Settings

START = date(2025, 1, 1)


def test_daily_volumes_follow_the_power_law():
    size, total, alpha = 2000, 20_000_000, 1.5
    u = make_universe(size, start=START, seed=3, total_trades=total, alpha=alpha)
    harmonic = sum(k**-alpha for k in range(1, size + 1))
    expected = [max(round(total * r**-alpha / harmonic), 1) for r in range(1, size + 1)]
    assert [s.trades_per_day for s in u] == expected
    assert [s.rank for s in u] == list(range(1, size + 1))
    trades = np.array([s.trades_per_day for s in u], dtype=float)
    # The shape: a straight line of slope -alpha on log-log axes (ranks where rounding does not matter) ...
    ranks = np.arange(1, 501)
    slope = np.polyfit(np.log(ranks), np.log(trades[:500]), 1)[0]
    assert slope == pytest.approx(-alpha, abs=0.01)
    # ... a few symbols with millions of trades a day, most with hundreds or fewer.
    assert (trades >= 1_000_000).sum() in range(2, 6)
    assert np.median(trades) < 1_000
    assert (trades < 1_000).mean() > 0.8


def test_a_symbols_day_has_its_volume_and_only_listed_days_are_written(tmp_path):
    u = make_universe(8, start=START, seed=4, names=["ZZTOP1"], total_trades=3000)
    end = START + timedelta(days=9)
    done = simulate_universe_mirror(tmp_path, u, START, 10, kinds=[ArchiveKind.TRADES])
    written = {}
    for path in done.files:
        symbol, _, rest = path.name.partition("-trades-")
        written.setdefault(symbol, []).append(date.fromisoformat(rest.removesuffix(".zip")))
    rows = 0
    for s in u:
        first, last = max(s.first_day, START), min(s.last_day or end, end)
        expected_days = [first + timedelta(days=i) for i in range((last - first).days + 1)] if first <= end else []
        assert sorted(written.get(s.symbol, [])) == expected_days, s.symbol
        for d in expected_days:
            path = tmp_path / f"data/spot/daily/trades/{s.symbol}/{s.symbol}-trades-{d}.zip"
            table = read_archive(path).table
            assert 0.8 * s.trades_per_day - 1 <= table.num_rows <= 1.2 * s.trades_per_day + 1
            rows += table.num_rows
    assert done.trades == rows and done.symbol_days == sum(len(v) for v in written.values())


def test_listings_and_delistings_over_the_days():
    u = make_universe(2000, start=START, seed=11)
    later = [s for s in u if s.first_day > START]
    delisted = [s for s in u if s.last_day is not None]
    assert 0.21 < len(later) / len(u) < 0.29  # LATER_SHARE 0.25
    assert 0.12 < len(delisted) / len(u) < 0.18  # DELIST_SHARE 0.15
    assert np.mean([(s.first_day - START).days for s in later]) == pytest.approx(20, rel=0.15)
    assert np.mean([(s.last_day - s.first_day).days + 1 for s in delisted]) == pytest.approx(15, rel=0.15)
    assert all(s.last_day >= s.first_day for s in delisted)
    day = START + timedelta(days=30)
    on_day = {s.symbol for s in u.listed_on(day)}
    assert on_day == {s.symbol for s in u if s.first_day <= day and (s.last_day is None or s.last_day >= day)}
    assert {s.status(day) for s in u.known_on(day)} == {"TRADING", "BREAK"}
    assert all(s.status(START - timedelta(days=1)) is None for s in u)


def test_named_symbols_come_first_and_the_universe_is_deterministic():
    names = ["ZZTOP1", "BTCUSDT", "A1"]
    u = make_universe(300, start=START, seed=5, names=names)
    assert u.names[:3] == names
    assert all(s.first_day == START and s.last_day is None for s in u.symbols[:3])
    assert len(set(u.names)) == 300
    assert make_universe(300, start=START, seed=5, names=names) == u
    other = make_universe(300, start=START, seed=6, names=names)
    assert other.names[:3] == names and other.names[3:] != u.names[3:]
    # A bigger universe begins with the smaller one's symbols and days (volumes are re-normalised).
    big = make_universe(3000, start=START, seed=5, names=names)
    key = [(s.symbol, s.base_asset, s.quote_asset, s.first_day, s.last_day) for s in u]
    assert [(s.symbol, s.base_asset, s.quote_asset, s.first_day, s.last_day) for s in big.symbols[:300]] == key
    assert all(s.symbol == s.base_asset + s.quote_asset for s in u.symbols[3:])
    with pytest.raises(UnknownSymbol, match="not a Binance symbol"):
        make_universe(5, start=START, names=["btc-usdt"])
    with pytest.raises(ValueError, match="size must be"):
        make_universe(2, start=START, names=["AA", "BB", "CC"])


@pytest.mark.parametrize("compresslevel", [6, 1])
def test_archives_are_the_ones_simulate_mirror_writes(tmp_path, compresslevel):
    u = make_universe(3, start=START, seed=2, names=["ETHUSDT"], total_trades=9000)
    done = simulate_universe_mirror(tmp_path / "u", u, START, 1, compresslevel=compresslevel)
    eth = u.get("ETHUSDT")
    assert eth is not None
    simulate_mirror(tmp_path / "m", ["ETHUSDT"], START, 1, seed=2, trades_per_day=eth.trades_per_day)
    ours = [p for p in done.files if p.name.startswith("ETHUSDT-")]
    assert len(ours) == 3
    for path in ours:
        theirs = tmp_path / "m" / path.relative_to(tmp_path / "u")
        checksum = path.with_name(path.name + ".CHECKSUM").read_text()
        assert parse_checksum(checksum)[1] == path.name and "\n" not in checksum
        with zipfile.ZipFile(path) as ours_zip, zipfile.ZipFile(theirs) as their_zip:
            assert ours_zip.read(ours_zip.namelist()[0]) == their_zip.read(their_zip.namelist()[0])
        # Level 6 is simulate_mirror's: the very same zip; level 1 deflates the same CSV less (and faster).
        assert (path.read_bytes() == theirs.read_bytes()) is (compresslevel == 6)


def test_the_settings_ask_for_a_simulated_exchange(tmp_path):
    assert universe_from_settings(Settings(data_dir=tmp_path)) is None  # sim_universe 0: the allow-list alone
    cfg = Settings(data_dir=tmp_path, symbols=["ZZTOP1"], sim_universe=50, sim_seed=9, start_date=START,
                   sim_universe_trades_per_day=10_000, sim_universe_alpha=1.2)
    u = universe_from_settings(cfg)
    assert u == make_universe(50, start=START, seed=9, names=["ZZTOP1"], total_trades=10_000, alpha=1.2)
    assert u.names[0] == "ZZTOP1" and len(u) == 50
