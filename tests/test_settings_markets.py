"""Each market has its own symbol list: spot's universe (raw.symbol_universe, the allow-list) and USD-M futures'
`BINANCE_ASSETS_UM_SYMBOLS` (default BTCUSDT), which the raw assets of each market's datasets load."""

from __future__ import annotations

import datetime as dt

import pytest

from binance_assets.binance.schema import Market
from binance_assets.lib.partitions import universe_on
from binance_assets.settings import Settings


def test_the_usd_m_symbols_default_to_btcusdt_and_come_from_their_own_setting(monkeypatch):
    monkeypatch.delenv("BINANCE_ASSETS_UM_SYMBOLS", raising=False)
    assert Settings().um_symbols == ["BTCUSDT"]
    monkeypatch.setenv("BINANCE_ASSETS_UM_SYMBOLS", "ethusdt, BTCUSDT")
    assert Settings().um_symbols == ["ETHUSDT", "BTCUSDT"]
    monkeypatch.setenv("BINANCE_ASSETS_UM_SYMBOLS", "")
    assert Settings().um_symbols == []


def test_the_futures_symbols_of_a_day_are_not_the_spot_universe():
    settings = Settings(symbols=["ETHUSDT", "SOLUSDT"], um_symbols=["XRPUSDT", "BTCUSDT"],
                        start_date=dt.date(2025, 1, 1))
    day = dt.date(2025, 1, 2)
    assert universe_on(settings, None, day, Market.FUTURES_UM) == ["BTCUSDT", "XRPUSDT"]
    assert universe_on(settings, None, dt.date(2024, 12, 31), Market.FUTURES_UM) == []
    with pytest.raises(ValueError, match="no symbol list for market futures/cm"):
        universe_on(settings, None, day, Market.FUTURES_CM)
