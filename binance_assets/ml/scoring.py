"""Feature-schema fingerprints and batch scoring with a registered model.

A model card records ``feature_schema_hash``: sha256 over the model's ordered feature names and the
canonical dtype kind of each ("float", "int", "bool", "string", "datetime", ...; float32 and float64 are
both "float"). `score` recomputes it from the frame to be scored and refuses (`FeatureSchemaMismatch`)
when the frame's feature columns differ from the card's: a feature missing, an extra feature column, or
a feature whose dtype kind changed. Every column of the frame except ``symbol``, ``trade_date``,
``minute``, the label columns and ``ignore_columns`` counts as a feature column.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from binance_assets.features.compute import ID_COLUMNS, LABEL_COLUMNS

MISSING = "missing"
SCORE_COLUMNS: list[str] = ["symbol", "minute", "prediction", "probability", "model_name", "model_version"]
_NON_FEATURE_COLUMNS = frozenset([*ID_COLUMNS, *LABEL_COLUMNS])
_SQL_KINDS = {
    "double": "float", "double precision": "float", "real": "float", "float": "float", "decimal": "float",
    "numeric": "float", "bigint": "int", "integer": "int", "int": "int", "smallint": "int", "hugeint": "int",
    "boolean": "bool", "bool": "bool", "varchar": "string", "text": "string", "date": "date",
    "timestamp": "datetime", "timestamptz": "datetime",
}  # fmt: skip


class FeatureSchemaMismatch(ValueError):
    """The frame's feature columns do not match the model card's feature schema."""

    def __init__(self, message: str, *, missing: list[str], extra: list[str], retyped: dict[str, tuple[str, str]]):
        super().__init__(message)
        self.missing = missing
        self.extra = extra
        self.retyped = retyped  # feature -> (kind in the card, kind in the frame)


def dtype_kind(dtype: Any) -> str:
    """Canonical kind of a pandas/numpy dtype, or of a dtype name (pandas, numpy or SQL spelling)."""
    if isinstance(dtype, str):
        key = dtype.strip().lower()
        if key in _SQL_KINDS:
            return _SQL_KINDS[key]
        try:
            dtype = pd.api.types.pandas_dtype(dtype)
        except TypeError:
            return key
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_float_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
        return "float"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        return "string"
    return str(dtype)


def feature_schema(columns_and_dtypes: Mapping[str, Any] | pd.DataFrame, features: Iterable[str]) -> dict[str, str]:
    """Ordered ``{feature: kind}``; a feature absent from ``columns_and_dtypes`` has kind "missing"."""
    dtypes = columns_and_dtypes.dtypes.to_dict() if isinstance(columns_and_dtypes, pd.DataFrame) else columns_and_dtypes
    return {name: dtype_kind(dtypes[name]) if name in dtypes else MISSING for name in features}


def feature_schema_hash(columns_and_dtypes: Mapping[str, Any] | pd.DataFrame, features: Iterable[str]) -> str:
    """sha256 (hex) over the ordered feature names and their canonical dtype kinds."""
    payload = json.dumps([[name, kind] for name, kind in feature_schema(columns_and_dtypes, features).items()])
    return hashlib.sha256(payload.encode()).hexdigest()


def feature_columns_of(frame: pd.DataFrame, ignore_columns: Iterable[str] = ()) -> list[str]:
    """The columns of ``frame`` that count as features (all but ids, labels and ``ignore_columns``)."""
    skip = _NON_FEATURE_COLUMNS | set(ignore_columns)
    return [str(c) for c in frame.columns if c not in skip]


def check_feature_schema(card, frame: pd.DataFrame, *, ignore_columns: Iterable[str] = ()) -> None:
    """Raise `FeatureSchemaMismatch` unless ``frame``'s feature columns match ``card`` (see module doc)."""
    features = list(card.features)
    present = feature_columns_of(frame, ignore_columns)
    missing = [f for f in features if f not in frame.columns]
    extra = [c for c in present if c not in set(features)]
    current = feature_schema(frame, features)
    recorded = dict(getattr(card, "feature_dtypes", None) or {})
    retyped = {
        f: (recorded[f], current[f]) for f in features if f in recorded and current[f] not in (recorded[f], MISSING)
    }
    frame_hash = feature_schema_hash(frame, features)
    if not (missing or extra or retyped) and frame_hash == card.feature_schema_hash:
        return
    problems = []
    if missing:
        problems.append(f"missing columns {missing}")
    if extra:
        problems.append(f"extra columns {extra} (select the card's features, or pass ignore_columns)")
    if retyped:
        problems.append("retyped columns " + ", ".join(f"{f}: {a} -> {b}" for f, (a, b) in retyped.items()))
    if not problems:
        unusual = {f: k for f, k in current.items() if k != "float"}
        problems.append(
            "feature dtypes differ from those the model was trained with "
            f"(the card records no per-feature dtypes; non-float features now: {unusual or 'none'})"
        )
    raise FeatureSchemaMismatch(
        f"model {card.name} {card.version} refuses this frame: feature schema hash {frame_hash[:12]} != "
        f"{str(card.feature_schema_hash)[:12]} of the card; " + "; ".join(problems),
        missing=missing,
        extra=extra,
        retyped=retyped,
    )


def score(model, card, frame: pd.DataFrame, *, ignore_columns: Iterable[str] = ()) -> pd.DataFrame:
    """Predictions of ``model`` (a fitted Pipeline, or anything with a ``.pipeline``) for every row of ``frame``.

    Returns ``SCORE_COLUMNS``: ``symbol``, ``minute``, ``prediction`` (float64: the forward log return for
    regression; 1.0/0.0 for up/not up for classification), ``probability`` (float64 P(up), NaN for
    regression), ``model_name``, ``model_version``. Rows with null features are scored too (the
    pipeline imputes them). Raises `FeatureSchemaMismatch` when the frame's feature schema is not the
    card's.
    """
    pipeline = getattr(model, "pipeline", model)
    check_feature_schema(card, frame, ignore_columns=ignore_columns)
    for column in ("symbol", "minute"):
        if column not in frame.columns:
            raise ValueError(f"frame to score lacks the id column {column!r}")
    n = len(frame)
    out = pd.DataFrame(
        {
            "symbol": frame["symbol"].astype("str").to_numpy(),
            "minute": pd.to_datetime(frame["minute"]).to_numpy(),
        }
    )
    prediction = np.full(n, np.nan)
    probability = np.full(n, np.nan)
    if n:
        x = frame[list(card.features)].to_numpy(dtype=np.float64, na_value=np.nan)
        if card.task == "classification":
            classes = list(pipeline.classes_)
            up = classes.index(True) if True in classes else len(classes) - 1
            probability = pipeline.predict_proba(x)[:, up]
            prediction = (np.asarray(pipeline.predict(x)) == classes[up]).astype(np.float64)
        else:
            prediction = np.asarray(pipeline.predict(x), dtype=np.float64)
    out["prediction"] = prediction
    out["probability"] = probability
    out["model_name"] = pd.Series([card.name] * n, dtype="str")
    out["model_version"] = pd.Series([card.version] * n, dtype="str")
    return out
