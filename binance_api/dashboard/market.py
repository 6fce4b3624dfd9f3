"""The Market page's reads: candles (1m bars or their 5m/15m/1h/1d aggregates) with volume and VWAP, and the
direction classifier's predictions per bar with whether each call came true (the features' forward return)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd

from binance_api.services import futures
from binance_api.services.market_data import klines, sql_klines_json
from binance_api.services.universe import Listing
from binance_assets.binance.rest_shapes import split_symbol
from binance_assets.warehouse.realised import HIT, IN_SAMPLE
from binance_assets.warehouse.snapshots import table_exists
from binance_assets.warehouse.table_names import BARS_1M_TABLE, FEATURES_TABLE, PREDICTIONS_TABLE

INTERVAL_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86400}
CLASSIFIER = "price_direction_classifier"
UM_PREFIX = "UM:"  # a USD-M perpetual in the Market page's list (beside the spot symbols)


class BadRange(ValueError):
    pass


def _epoch_ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp() * 1000)


def futures_listings(session) -> list[Listing]:
    """The USD-M perpetuals the warehouse holds, as the Market page lists them: `UM:<symbol>`."""
    out = []
    for symbol, first_day in sorted(futures.symbols(session).items()):
        base, quote = split_symbol(symbol)
        out.append(Listing(UM_PREFIX + symbol, base, quote, "TRADING", first_day))
    return out


def futures_symbol(name: str) -> str | None:
    """`UM:BTCUSDT` -> "BTCUSDT" (a USD-M perpetual of the Market page); a spot symbol -> None."""
    return name[len(UM_PREFIX):] if name.startswith(UM_PREFIX) else None


def candles(session, engine: str, symbol: str, interval: str, start: dt.date, end: dt.date,
            bars_table: str | None = None) -> dict[str, list]:
    """Bars from `start` to `end` (whole UTC days, inclusive), aggregated the way /api/v3/klines does (from
    `bars_table` when given: the USD-M futures bars, as /fapi/v1/klines does)."""
    if interval not in INTERVAL_SECONDS:
        raise BadRange(f"interval must be one of {', '.join(INTERVAL_SECONDS)}, got {interval!r}")
    if end < start:
        raise BadRange(f"end {end} is before start {start}")
    start_ms, end_ms = _epoch_ms(start), _epoch_ms(end + dt.timedelta(days=1)) - 1
    limit = ((end - start).days + 1) * 86400 // INTERVAL_SECONDS[interval] + 1
    out: dict[str, list] = {"candles": [], "volume": [], "vwap": []}
    rows = klines(session, engine, symbol, interval, start_ms, end_ms, limit) if bars_table is None else json.loads(
        sql_klines_json(session, engine, symbol, interval, start_ms, end_ms, limit, bars_table=bars_table))
    for k in rows:
        t = k[0] // 1000
        o, h, lo, c, vol, quote = float(k[1]), float(k[2]), float(k[3]), float(k[4]), float(k[5]), float(k[7])
        out["candles"].append({"time": t, "open": o, "high": h, "low": lo, "close": c})
        out["volume"].append({"time": t, "value": vol, "up": c >= o})
        if vol > 0:
            out["vwap"].append({"time": t, "value": quote / vol})
    return out


def predictions(session, symbol: str, interval: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The classifier's calls per bar: share of minutes called up, mean P(up), hits over known outcomes and
    the minutes scored in sample.

    A minute's call is a hit by the one rule of `binance_assets.warehouse.realised.HIT` (up and the forward return
    > 0, or down and not, as `ml_service.accuracy` judges it), out of sample only: minutes scored by a model
    trained on their day (``in_sample``, shown beside the hit rate) and minutes whose forward return is not
    known yet count in neither ``known`` nor ``hits``.
    """
    empty = {"points": [], "model_versions": [], "available": False}
    if not table_exists(session, PREDICTIONS_TABLE):
        return empty
    has_labels = table_exists(session, FEATURES_TABLE)
    # No labels table: nothing is known, and HIT (which reads f.*) cannot be evaluated.
    hit = HIT if has_labels else "CAST(NULL AS DOUBLE)"
    join = f"LEFT JOIN {FEATURES_TABLE} f ON f.symbol = p.symbol AND f.minute = p.minute" if has_labels else ""
    rows = session.query(
        f"SELECT p.minute, p.prediction, p.probability, p.model_version, {hit} AS hit, "
        f"CASE WHEN {IN_SAMPLE} THEN 1 ELSE 0 END AS in_sample "
        f"FROM {PREDICTIONS_TABLE} p {join} WHERE p.symbol = ? AND p.model_name = ? "
        f"AND p.trade_date >= ? AND p.trade_date <= ? ORDER BY p.minute",
        [symbol, CLASSIFIER, start, end],
    ).to_pandas()
    if rows.empty:
        return {**empty, "available": True}
    step = INTERVAL_SECONDS[interval]
    minute = pd.to_datetime(rows["minute"])
    if minute.dt.tz is not None:
        minute = minute.dt.tz_convert("UTC").dt.tz_localize(None)
    epoch = (minute - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    up = rows["prediction"].astype("float64") == 1.0
    hit = rows["hit"].astype("float64")
    known = hit.notna()
    frame = pd.DataFrame({
        "time": (epoch // step) * step,
        "up": up.astype("int64"),
        "probability": rows["probability"].astype("float64"),
        "known": known.astype("int64"),
        "hit": hit.fillna(0.0).astype("int64"),
        "in_sample": rows["in_sample"].astype("int64"),
    })
    grouped = frame.groupby("time", sort=True).agg(
        calls=("up", "size"), ups=("up", "sum"), probability=("probability", "mean"), known=("known", "sum"),
        hits=("hit", "sum"), in_sample=("in_sample", "sum"),
    )
    probability = grouped["probability"].round(4).astype(object).where(grouped["probability"].notna(), None)
    points = [
        {"time": int(t), "calls": int(n), "direction": "up" if ups * 2 >= n else "down", "probability": prob,
         "known": int(k), "hits": int(h), "in_sample": int(i)}
        for t, n, ups, prob, k, h, i in zip(
            grouped.index, grouped["calls"], grouped["ups"], probability, grouped["known"], grouped["hits"],
            grouped["in_sample"], strict=True,
        )
    ]
    return {"points": points, "model_versions": sorted(rows["model_version"].astype(str).unique()), "available": True}


def day_range(session) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day of 1m bars (None, None before the marts are built)."""
    if not table_exists(session, BARS_1M_TABLE):
        return None, None
    row = session.query(f"SELECT min(trade_date) AS lo, max(trade_date) AS hi FROM {BARS_1M_TABLE}").to_pylist()[0]
    return row["lo"], row["hi"]
