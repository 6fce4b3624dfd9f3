"""The model card: everything known about one registered model version (JSON), and how to print its metrics."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import platform
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn

NOT_AVAILABLE = "n/a"


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "joblib": joblib.__version__,
    }


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(kw_only=True)
class ModelCard:
    """Everything known about one registered model version. JSON via `to_json`/`from_json`.

    ``version``, ``created_at``, ``status``, ``model_sha256`` are set by the registry. ``feature_dtypes``
    (feature -> dtype kind, see `binance_assets.ml.scoring.feature_schema`) lets a schema mismatch name retyped columns.
    """

    name: str
    task: str
    features: list[str]
    feature_schema_hash: str
    metrics: dict[str, float | None]
    baseline_metrics: dict[str, float | None]
    primary_metric: str
    training_window: dict[str, Any] = field(default_factory=dict)  # {"start", "end", "symbols"}
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    library_versions: dict[str, str] = field(default_factory=library_versions)
    version: str = ""
    created_at: str = ""
    status: str = "challenger"
    status_reason: str = ""
    feature_dtypes: dict[str, str] = field(default_factory=dict)
    n_rows: int | None = None
    model_sha256: str = ""
    # Per walk-forward fold: window, sizes, metrics, baseline_metrics (`TrainedModel.fold_metrics`).
    fold_metrics: list[dict[str, Any]] = field(default_factory=list)

    @property
    def primary_value(self) -> float | None:
        return self.metrics.get(self.primary_metric)

    @property
    def baseline_value(self) -> float | None:
        return self.baseline_metrics.get(self.primary_metric)

    def to_dict(self) -> dict[str, Any]:
        return _json_safe(dataclasses.asdict(self))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})  # unknown keys: newer writers

    @classmethod
    def from_json(cls, text: str | bytes) -> ModelCard:
        return cls.from_dict(json.loads(text))



def format_metric(value: Any, spec: str = ".4f") -> str:
    """A metric for people: ``n/a`` when it is missing or not finite (cards store NaN as null)."""
    if value is None:
        return NOT_AVAILABLE
    try:
        number = float(value)
    except (TypeError, ValueError):
        return NOT_AVAILABLE
    return format(number, spec) if math.isfinite(number) else NOT_AVAILABLE


def _json_safe(value: Any) -> Any:
    """NaN/inf -> None, numpy scalars -> Python, tuples -> lists (cards must be strict JSON)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp | dt.date):
        return value.isoformat()
    return value
