"""Market data of the REST simulator, cut from the very simulated days the archive mirror is made of.

`SimMarket(seed, trades_per_day, signal, first_day, last_day)` with the same seed, size and signal as
`simulate_mirror` gives REST rows identical to the archive rows, id for id. `SimMarket.for_universe(universe,
first_day, last_day)` does the same for `simulate_universe_mirror`: each symbol trades its own volume on its
listed days only, and exchangeInfo lists the universe as of `last_day` (TRADING, or BREAK once delisted).
Pure: no HTTP here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import cast

import numpy as np

from . import fapi_shapes
from .rest_shapes import agg_trade_obj, kline_array, rate_limits, split_symbol, trade_obj
from .rest_sim_daily import DailyCandle, daily_candle, kline_1d, ticker_mini, units
from .sim_calendar import EPOCH, calendar, symbol_params
from .sim_day import RawDay, generate_day
from .sim_universe import SimUniverse

__all__ = ["US_PER_DAY", "SimMarket", "day_of_us", "to_us", "units"]

US_PER_DAY = 86_400_000_000


def day_of_us(us: int) -> date:
    return date(1970, 1, 1) + timedelta(days=us // US_PER_DAY)


def to_us(value: int) -> int:
    """A request time in ms or µs (Binance accepts both; told apart by magnitude) as µs."""
    return int(value) if value >= 10**14 else int(value) * 1000


@dataclass(frozen=True)
class SimMarket:
    symbols: tuple[str, ...]
    first_day: date
    last_day: date
    seed: int = 7
    trades_per_day: int = 20_000
    signal: float = 0.0
    universe: SimUniverse | None = None
    um_symbols: tuple[str, ...] = ()  # the USD-M perpetuals `/fapi/v1` serves (the same simulated days, in ms)

    @classmethod
    def for_universe(cls, universe: SimUniverse, first_day: date, last_day: date, signal: float = 0.0) -> SimMarket:
        """The market of a simulated universe between two days: the symbols exchangeInfo lists on `last_day`."""
        names = tuple(s.symbol for s in universe.known_on(last_day))
        return cls(names, first_day, last_day, universe.seed, signal=signal, universe=universe)

    def trades_for(self, symbol: str) -> int:
        """The symbol's average trades a day (its universe volume, else the market's one size)."""
        listed = self.universe.get(symbol) if self.universe is not None else None
        return listed.trades_per_day if listed is not None else self.trades_per_day

    def span(self, symbol: str) -> tuple[date, date]:
        """The days the symbol has data: the market's, cut to its listing (empty when first > last)."""
        listed = self.universe.get(symbol) if self.universe is not None else None
        if listed is None:
            return self.first_day, self.last_day
        last = self.last_day if listed.last_day is None else min(self.last_day, listed.last_day)
        return max(self.first_day, listed.first_day), last

    def day(self, symbol: str, day: date) -> RawDay:
        return _day(symbol, day, self.seed, self.trades_for(symbol), self.signal)

    def has_day(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def _times_us(self, raw: RawDay, offsets: np.ndarray) -> np.ndarray:
        factor = 1000 if raw.unit == "ms" else 1
        return (raw.day_start + offsets) * factor

    def _day_of_id(self, symbol: str, ident: int, agg: bool) -> date:
        cal = calendar(self.seed, symbol, self.trades_for(symbol))
        firsts = cal.first_agg_ids if agg else cal.first_trade_ids
        index = int(np.searchsorted(firsts, ident, side="right")) - 1
        return EPOCH + timedelta(days=max(index, 0))

    def _days_from(self, symbol: str, day: date) -> Iterator[date]:
        first, last = self.span(symbol)
        day = max(day, first)
        while day <= last:
            yield day
            day += timedelta(days=1)

    # --- endpoints' data ------------------------------------------------------------------------

    def trades(self, symbol: str, from_id: int | None, limit: int, micros: bool) -> list[dict]:
        """historicalTrades: `limit` trades from `from_id` (the most recent ones without it)."""
        if from_id is None:
            raw = self.day(symbol, self.span(symbol)[1])
            from_id = int(raw.trade_id[max(len(raw.trade_id) - limit, 0)])
        out: list[dict] = []
        for day in self._days_from(symbol, self._day_of_id(symbol, from_id, agg=False)):
            raw = self.day(symbol, day)
            start = int(np.searchsorted(raw.trade_id, from_id))
            stop = min(start + limit - len(out), len(raw.trade_id))
            times = self._times_us(raw, raw.time[start:stop])
            for i, t in zip(range(start, stop), times.tolist(), strict=True):
                out.append(
                    trade_obj(
                        int(raw.trade_id[i]),
                        units(raw.price[i]),
                        units(raw.qty[i]),
                        units(raw.quote[i]),
                        t if micros else t // 1000,
                        bool(raw.buyer_maker[i]),
                    )
                )
            if len(out) >= limit:
                break
        return out

    def agg_trades(
        self, symbol: str, from_id: int | None, start_us: int | None, end_us: int | None, limit: int, micros: bool
    ) -> list[dict]:
        """aggTrades by `fromId`, or inside [startTime, endTime], or the most recent ones."""
        out: list[dict] = []
        if from_id is None and start_us is None:
            raw = self.day(symbol, self.span(symbol)[1])
            from_id = int(raw.agg_id[max(len(raw.agg_id) - limit, 0)])
        if from_id is not None:
            first_day = self._day_of_id(symbol, from_id, agg=True)
        else:
            first_day = day_of_us(cast(int, start_us))  # not None: set above when both were
        for day in self._days_from(symbol, first_day):
            raw = self.day(symbol, day)
            times = self._times_us(raw, raw.agg_time)
            if from_id is not None:
                start = int(np.searchsorted(raw.agg_id, from_id))
            else:
                start = int(np.searchsorted(times, cast(int, start_us)))
            stop = min(start + limit - len(out), len(raw.agg_id))
            if end_us is not None:
                stop = min(stop, int(np.searchsorted(times, end_us, side="right")))
            for i in range(start, stop):
                t = int(times[i])
                out.append(
                    agg_trade_obj(
                        int(raw.agg_id[i]),
                        units(raw.agg_price[i]),
                        units(raw.agg_qty[i]),
                        int(raw.agg_first[i]),
                        int(raw.agg_last[i]),
                        t if micros else t // 1000,
                        bool(raw.agg_buyer_maker[i]),
                    )
                )
            if len(out) >= limit or (end_us is not None and stop < len(raw.agg_id)):
                break
        return out

    def klines_1m(self, symbol: str, start_us: int | None, end_us: int | None, limit: int, micros: bool) -> list[list]:
        if start_us is None:
            start_us = (self.span(symbol)[1] - date(1970, 1, 1)).days * US_PER_DAY + US_PER_DAY - limit * 60_000_000
        out: list[list] = []
        for day in self._days_from(symbol, day_of_us(start_us)):
            raw = self.day(symbol, day)
            k = raw.klines
            open_us = self._times_us(raw, k["open_time"] - raw.day_start)
            close_us = self._times_us(raw, k["close_time"] - raw.day_start)
            start = int(np.searchsorted(open_us, start_us))
            stop = min(start + limit - len(out), len(open_us))
            if end_us is not None:
                stop = min(stop, int(np.searchsorted(open_us, end_us, side="right")))
            step = 1 if micros else 1000
            for i in range(start, stop):
                open_t = int(open_us[i])
                out.append(
                    kline_array(
                        open_t // step,
                        units(k["open"][i]),
                        units(k["high"][i]),
                        units(k["low"][i]),
                        units(k["close"][i]),
                        units(k["volume"][i]),
                        int(close_us[i]) // step,
                        units(k["quote_volume"][i]),
                        int(k["trade_count"][i]),
                        units(k["taker_buy_base_volume"][i]),
                        units(k["taker_buy_quote_volume"][i]),
                    )
                )
            if len(out) >= limit or (end_us is not None and stop < len(open_us)):
                break
        return out

    def klines_1d(self, symbol: str, start_us: int | None, end_us: int | None, limit: int, micros: bool) -> list[list]:
        """Daily candles (openTime >= startTime, <= endTime); without startTime the last `limit` ones."""
        first, last = self.span(symbol)
        if start_us is not None:
            first = max(first, day_of_us(start_us + US_PER_DAY - 1))  # the first day opening at or after it
        if end_us is not None:
            last = min(last, day_of_us(end_us))
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        days = days[:limit] if start_us is not None else days[-limit:]
        return [kline_1d(self.candle(symbol, day), micros) for day in days]

    def candle(self, symbol: str, day: date) -> DailyCandle:
        return _candle(symbol, day, self.seed, self.trades_for(symbol), self.signal)

    def ticker_24hr(self, micros: bool, candles: Mapping[str, DailyCandle] | None = None) -> list[dict]:
        """MINI 24 h tickers of every symbol over the market's last day (see `rest_sim_daily.ticker_mini`);
        `candles`: the symbols' candles of their last traded day where already computed."""
        start_us = (self.last_day - date(1970, 1, 1)).days * US_PER_DAY
        out = []
        for symbol in self.symbols:
            last = self.span(symbol)[1]
            candle = candles[symbol] if candles is not None and symbol in candles else self.candle(symbol, last)
            out.append(ticker_mini(symbol, candle, (start_us, start_us + US_PER_DAY - 1), last == self.last_day,
                                   micros))  # fmt: skip
        return out

    def exchange_info(self, server_time_ms: int, weight_limit: int) -> dict:
        """`/api/v3/exchangeInfo`: every symbol of the market, with its status on `last_day`."""
        return {
            "timezone": "UTC",
            "serverTime": server_time_ms,
            "rateLimits": rate_limits(weight_limit)[:1],
            "exchangeFilters": [],
            "symbols": [self.symbol_info(s) for s in self.symbols],
        }

    def um_exchange_info(self, server_time_ms: int) -> dict:
        """`/fapi/v1/exchangeInfo`: the USD-M perpetuals, listed from the market's first day."""
        onboard = (self.first_day - date(1970, 1, 1)).days * 86_400_000
        infos = [fapi_shapes.symbol_info(s, symbol_params(s).tick_decimals, symbol_params(s).step_decimals, onboard)
                 for s in self.um_symbols]  # fmt: skip
        return fapi_shapes.exchange_info(server_time_ms, infos)

    def symbol_info(self, symbol: str) -> dict:
        params = symbol_params(symbol)
        listed = self.universe.get(symbol) if self.universe is not None else None
        base, quote = (listed.base_asset, listed.quote_asset) if listed is not None else split_symbol(symbol)
        status = (listed.status(self.last_day) if listed is not None else None) or "TRADING"
        tick, step = units(10 ** (8 - params.tick_decimals)), units(10 ** (8 - params.step_decimals))
        return {
            "symbol": symbol,
            "status": status,
            "baseAsset": base,
            "baseAssetPrecision": 8,
            "quoteAsset": quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": f"{tick:f}",
                    "maxPrice": "1000000.00000000",
                    "tickSize": f"{tick:f}",
                },
                {"filterType": "LOT_SIZE", "minQty": f"{step:f}", "maxQty": "9000.00000000", "stepSize": f"{step:f}"},
            ],
            "permissions": [],
            "permissionSets": [["SPOT"]],
        }

    def spot_price(self, symbol: str, at: datetime) -> float:
        """The simulated price of `symbol` near `at`: its day opens interpolated (cheap, no day generated)."""
        cal = calendar(self.seed, symbol, self.trades_for(symbol))
        offset = (at.date() - EPOCH).days
        frac = (at.hour * 3600 + at.minute * 60 + at.second) / 86_400
        ticks = cal.open_ticks[offset] * (1 - frac) + cal.open_ticks[offset + 1] * frac
        return float(ticks) / 10 ** symbol_params(symbol).tick_decimals


@lru_cache(maxsize=16)
def _day(symbol: str, day: date, seed: int, trades_per_day: int, signal: float) -> RawDay:
    return generate_day(symbol, day, seed, trades_per_day, signal)


@lru_cache(maxsize=4096)
def _candle(symbol: str, day: date, seed: int, trades_per_day: int, signal: float) -> DailyCandle:
    return daily_candle(_day(symbol, day, seed, trades_per_day, signal))
