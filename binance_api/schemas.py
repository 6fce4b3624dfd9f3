"""Pydantic models of the API's responses (the OpenAPI schema, with examples)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel

from binance_assets.warehouse.tables import SPOT_TRADES


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# The warehouse stores naive UTC; the API says so (RFC 3339 with "Z").
UtcDatetime = Annotated[dt.datetime, AfterValidator(_utc)]

KLINE_EXAMPLE: list[Any] = [
    1735689600000, "93576.00000000", "93610.93000000", "93537.50000000", "93610.93000000", "8.21827000",
    1735689659999, "768978.55069640", 2331, "3.26241000", "305323.45376680", "0",
]


class BinanceError(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": -1121, "msg": "Invalid symbol."}]})
    code: int
    msg: str


class ApiError(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"error": "invalid_token", "reason": "the token has expired"}]}
    )
    error: str
    reason: str


class Ping(BaseModel):
    pass


class ServerTime(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"serverTime": 1735689600000}]})
    serverTime: int


class Klines(RootModel[list[list[int | str]]]):
    model_config = ConfigDict(json_schema_extra={"examples": [[KLINE_EXAMPLE]]})


class FuturesAggTrade(BaseModel):
    """An aggregated trade as USD-M futures (`/fapi/v1/aggTrades`) gives it: spot's without `M`."""

    model_config = ConfigDict(json_schema_extra={
        "examples": [{"a": 26129, "p": "0.01633102", "q": "4.70443515", "f": 27781, "l": 27781, "T": 1498793709153,
                      "m": True}]})
    a: int
    p: str
    q: str
    f: int
    l: int  # noqa: E741 - Binance's field name
    T: int
    m: bool


class AggTrade(FuturesAggTrade):
    """An aggregated trade as spot (`/api/v3/aggTrades`) gives it: the futures fields plus `M` (best match)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"a": 26129, "p": "0.01633102", "q": "4.70443515", "f": 27781, "l": 27781,
                          "T": 1498793709153, "m": True, "M": True}]
        }
    )
    M: bool


class Trade(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": 28457, "price": "4.00000100", "qty": "12.00000000", "quoteQty": "48.000012",
                          "time": 1499865549590, "isBuyerMaker": True, "isBestMatch": True}]
        }
    )
    id: int
    price: str
    qty: str
    quoteQty: str
    time: int
    isBuyerMaker: bool
    isBestMatch: bool


class SymbolFilter(BaseModel):
    model_config = ConfigDict(extra="allow")
    filterType: str


class SymbolInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    symbol: str
    status: str
    baseAsset: str
    quoteAsset: str
    filters: list[SymbolFilter]
    permissions: list[str]


class RateLimit(BaseModel):
    rateLimitType: str
    interval: str
    intervalNum: int
    limit: int


class ExchangeInfo(BaseModel):
    timezone: str
    serverTime: int
    rateLimits: list[RateLimit]
    exchangeFilters: list[dict]
    symbols: list[SymbolInfo]


# --- /api/v1 ------------------------------------------------------------------------------------------


class Bar(BaseModel):
    open_time: UtcDatetime = Field(description="Start of the minute, UTC.")
    open: float
    high: float
    low: float
    close: float
    volume: float
    quote_volume: float
    trade_count: int
    taker_buy_base_volume: float
    taker_buy_quote_volume: float
    vwap: float | None


class Page(BaseModel):
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class BarsPage(Page):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{
                "symbol": "BTCUSDT",
                "items": [{"open_time": "2025-01-01T00:00:00", "open": 93576.0, "high": 93610.93, "low": 93537.5,
                           "close": 93610.93, "volume": 8.21827, "quote_volume": 768978.5507, "trade_count": 2331,
                           "taker_buy_base_volume": 3.26241, "taker_buy_quote_volume": 305323.4538,
                           "vwap": 93570.1}],
                "next_cursor": "eyJhZnRlciI6IjIwMjUtMDEtMDFUMDA6MDA6MDAifQ",
            }]
        }
    )
    symbol: str
    items: list[Bar]


class DailyStat(BaseModel):
    model_config = ConfigDict(extra="allow")
    symbol: str
    trade_date: dt.date
    open: float | None = None
    high: float | None = None
    low: float | None = None
    close: float | None = None
    volume: float | None = None
    quote_volume: float | None = None
    trade_count: int | None = None
    vwap: float | None = None
    realised_volatility: float | None = None


class DailyPage(Page):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{
                "symbol": "BTCUSDT",
                "items": [{"symbol": "BTCUSDT", "trade_date": "2025-01-01", "open": 93576.0, "high": 95000.0,
                           "low": 92000.0, "close": 94500.0, "volume": 1200.5, "quote_volume": 1.13e8,
                           "trade_count": 20000, "vwap": 94100.0, "realised_volatility": 0.012}],
                "next_cursor": None,
            }]
        }
    )
    symbol: str
    items: list[DailyStat]


class Gap(BaseModel):
    model_config = ConfigDict(extra="allow")
    symbol: str
    trade_date: dt.date
    gap_type: str
    gap_start: UtcDatetime | None = None
    gap_end: UtcDatetime | None = None
    missing_count: int | None = None


class Gaps(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [{"symbol": "BTCUSDT", "trade_date": "2025-01-02", "gap_type": "minutes",
                                     "gap_start": "2025-01-02T03:10:00", "gap_end": "2025-01-02T03:14:00",
                                     "missing_count": 5}]}]
        }
    )
    items: list[Gap]


class Prediction(BaseModel):
    minute: UtcDatetime = Field(description="The minute the prediction is for (UTC).")
    model_name: str
    model_version: str
    prediction: float | None = Field(description="Classifier: 1.0 up / 0.0 not up; regressor: forward log return.")
    probability: float | None = Field(description="P(up) for classifiers; null for regressors.")
    realised_return: float | None = Field(description="log(close[t+h]/close[t]) once known, else null.")
    outcome_known: bool
    correct: bool | None = Field(description="Classifiers: whether the direction was right, once known.")
    in_sample: bool = Field(description="Scored by a model trained on this minute's day (or later days): left out "
                                        "of every accuracy figure.")


PREDICTION_EXAMPLE: dict[str, Any] = {
    "minute": "2025-01-02T23:54:00", "model_name": "price_direction_classifier", "model_version": "v0003",
    "prediction": 1.0, "probability": 0.61, "realised_return": 0.00042, "outcome_known": True, "correct": True,
    "in_sample": False,
}


class LatestPredictions(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"symbol": "BTCUSDT", "items": [PREDICTION_EXAMPLE]}]})
    symbol: str
    items: list[Prediction]


class PredictionsPage(Page):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"symbol": "BTCUSDT", "items": [PREDICTION_EXAMPLE], "next_cursor": None}]}
    )
    symbol: str
    items: list[Prediction]


class ModelAccuracy(BaseModel):
    model_name: str
    model_version: str
    predictions: int = Field(description="Every prediction in the range, in sample or not.")
    in_sample: int = Field(description="Predictions scored by a model trained on their day (or later days): left "
                                       "out of realised, hit_rate and mae.")
    realised: int = Field(description="Out-of-sample predictions whose outcome is known: what hit_rate and mae "
                                      "are computed on.")
    hit_rate: float | None = Field(description="Share of right directions (classifiers), out of sample.")
    mae: float | None = Field(description="Mean absolute error of the return (regressors), out of sample.")


class Accuracy(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"symbol": "BTCUSDT", "items": [
        {"model_name": "price_direction_classifier", "model_version": "v0003", "predictions": 2880,
         "in_sample": 0, "realised": 2870, "hit_rate": 0.54, "mae": None}]}]})
    symbol: str
    items: list[ModelAccuracy]


class ModelVersion(BaseModel):
    version: str
    status: str
    status_reason: str
    created_at: str
    task: str
    primary_metric: str
    metrics: dict[str, float | None]
    baseline_metrics: dict[str, float | None]
    training_window: dict


class Model(BaseModel):
    name: str
    champion: str | None
    versions: list[ModelVersion]
    promotion_history: list[dict]


class Models(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [{
        "name": "price_direction_classifier", "champion": "v0002",
        "versions": [{"version": "v0002", "status": "champion", "status_reason": "beat v0001 by 0.03",
                      "created_at": "2025-01-03T06:00:00Z", "task": "classification", "primary_metric": "roc_auc",
                      "metrics": {"roc_auc": 0.58}, "baseline_metrics": {"roc_auc": 0.5},
                      "training_window": {"start": "2024-12-04", "end": "2025-01-02"}}],
        "promotion_history": [{"at": "2025-01-03T06:00:00Z", "action": "promote", "version": "v0002",
                               "previous": "v0001", "reason": "gate"}]}]}]})
    items: list[Model]


class AssetFreshness(BaseModel):
    asset: str
    symbol: str
    latest_partition: dt.date | None
    latest_data_time: UtcDatetime | None
    loaded_at: UtcDatetime | None
    partitions: int
    lag_hours: float | None


class CheckResult(BaseModel):
    asset: str
    check_name: str
    partition: str | None
    status: str
    passed: bool | None
    severity: str | None = None
    evaluated_at: UtcDatetime | str | None
    run_id: str | None


class CheckResults(BaseModel):
    status: str = Field(description="ok, not_configured or unavailable")
    reason: str | None = None
    checks: list[CheckResult]


class Quality(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "freshness": [{"asset": SPOT_TRADES.qualified_name, "symbol": "BTCUSDT", "latest_partition": "2025-01-02",
                       "latest_data_time": "2025-01-02T23:59:59.912000", "loaded_at": "2025-01-03T06:01:12",
                       "partitions": 2, "lag_hours": 6.2}],
        "checks": {"status": "ok", "checks": [{"asset": "raw/spot_trades", "check_name": "pandera_schema",
                                               "partition": "2025-01-02|BTCUSDT", "status": "SUCCEEDED",
                                               "passed": True, "severity": "ERROR",
                                               "evaluated_at": "2025-01-03T06:01:13",
                                               "run_id": "5a14dc75"}]}}]})
    freshness: list[AssetFreshness]
    checks: CheckResults
