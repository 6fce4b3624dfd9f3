"""Walk-forward training of the direction classifier and the forward-return regressor.

Validation is `sklearn.model_selection.TimeSeriesSplit` over the distinct minutes of the frame, never
over rows: every symbol of a minute lands in the same fold, each test fold lies strictly after its
training rows, and nothing is shuffled. ``gap`` minutes are left out between training and test so that
training labels (which look ``horizon`` minutes ahead) never overlap the test period; it defaults to the
feature table's label horizon. After validation the pipeline is refitted on every labelled row.

Hyperparameters come from ``params``: ``params["estimator"]`` picks the estimator (classifier:
"logistic_regression" (alias "linear"), "hist_gradient_boosting", "random_forest"; regressor: "ridge"
(alias "linear"), "hist_gradient_boosting", "random_forest"), ``params["imputer_strategy"]`` the
imputer (default "median"), and every other key goes to the estimator's constructor if it accepts it.
Keys it does not accept are left out and listed in ``TrainedModel.ignored_params`` (so one config can
carry the parameters of several estimator families). ``random_state`` defaults to 0 where accepted.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    roc_auc_score,
)
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from binance_assets.features.compute import DEFAULT_HORIZON

Task = Literal["classification", "regression"]

CLASSIFIERS: dict[str, type] = {
    "logistic_regression": LogisticRegression,
    "hist_gradient_boosting": HistGradientBoostingClassifier,
    "random_forest": RandomForestClassifier,
}
REGRESSORS: dict[str, type] = {
    "ridge": Ridge,
    "hist_gradient_boosting": HistGradientBoostingRegressor,
    "random_forest": RandomForestRegressor,
}
ALIASES = {"classification": {"linear": "logistic_regression"}, "regression": {"linear": "ridge"}}
DEFAULT_ESTIMATOR = {"classification": "logistic_regression", "regression": "ridge"}
PRIMARY_METRIC = {"classification": "accuracy", "regression": "skill"}  # higher is better for both
RESERVED_PARAMS = frozenset({"estimator", "imputer_strategy"})


@dataclass(frozen=True)
class Fold:
    """One walk-forward split: row positions (into the frame given) and the minutes they cover."""

    index: int
    train_rows: np.ndarray
    test_rows: np.ndarray
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp


@dataclass
class TrainedModel:
    pipeline: Pipeline  # fitted on every labelled row of the window
    task: Task
    features: list[str]
    metrics: dict[str, float]  # mean over the walk-forward folds (NaN where undefined in every fold)
    baseline_metrics: dict[str, float]  # same metrics of the baseline on the same folds
    fold_metrics: list[dict[str, Any]]  # per fold: window, sizes, metrics, baseline_metrics (JSON-safe)
    primary_metric: str
    n_rows: int  # labelled rows used
    label: str = ""
    params: dict[str, Any] = field(default_factory=dict)  # estimator name + the hyperparameters it received
    ignored_params: dict[str, Any] = field(default_factory=dict)
    n_splits: int = 0
    gap: int = 0
    train_start: pd.Timestamp | None = None  # first and last minute with a label used
    train_end: pd.Timestamp | None = None

    @property
    def primary_value(self) -> float:
        return self.metrics[self.primary_metric]

    @property
    def baseline_value(self) -> float:
        return self.baseline_metrics[self.primary_metric]


def walk_forward_splits(times: Sequence | pd.Series | np.ndarray, n_splits: int, *, gap: int = 0) -> list[Fold]:
    """TimeSeriesSplit over the distinct values of ``times`` (rows need not be sorted).

    Training rows of fold k are all rows whose time is among the first distinct times, test rows those of
    the next block; ``gap`` distinct times between them are used by neither.
    """
    values = pd.to_datetime(pd.Series(times)).to_numpy()
    if pd.isna(values).any():
        raise ValueError("the time column has nulls")
    unique, codes = np.unique(values, return_inverse=True)
    if len(unique) < n_splits + 1 + gap:
        raise ValueError(f"{len(unique)} distinct minutes are too few for {n_splits} walk-forward folds with gap {gap}")
    folds = []
    for i, (train, test) in enumerate(TimeSeriesSplit(n_splits=n_splits, gap=gap).split(unique)):
        folds.append(
            Fold(
                index=i,
                train_rows=np.flatnonzero(np.isin(codes, train)),
                test_rows=np.flatnonzero(np.isin(codes, test)),
                train_start=pd.Timestamp(unique[train[0]]),
                train_end=pd.Timestamp(unique[train[-1]]),
                test_start=pd.Timestamp(unique[test[0]]),
                test_end=pd.Timestamp(unique[test[-1]]),
            )
        )
    return folds


def build_pipeline(task: Task, params: dict[str, Any] | None = None) -> tuple[Pipeline, dict, dict]:
    """(unfitted pipeline, hyperparameters used incl. "estimator", ignored params) for ``task``."""
    params = dict(params or {})
    registry = CLASSIFIERS if task == "classification" else REGRESSORS
    name = str(params.get("estimator") or DEFAULT_ESTIMATOR[task])
    name = ALIASES[task].get(name, name)
    if name not in registry:
        choices = sorted([*registry, *ALIASES[task]])
        raise ValueError(f"unknown {task} estimator {params.get('estimator')!r}; choose one of {choices}")
    cls = registry[name]
    accepted = set(inspect.signature(cls).parameters)
    kwargs = {k: v for k, v in params.items() if k not in RESERVED_PARAMS and k in accepted}
    ignored = {k: v for k, v in params.items() if k not in RESERVED_PARAMS and k not in accepted}
    if "random_state" in accepted:
        kwargs.setdefault("random_state", 0)
    strategy = params.get("imputer_strategy", "median")
    pipeline = Pipeline(
        [
            ("impute", SimpleImputer(strategy=strategy, keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("model", cls(**kwargs)),
        ]
    )
    used = {"estimator": name, "imputer_strategy": strategy, **kwargs}
    return pipeline, used, ignored


def train_direction_classifier(
    frame: pd.DataFrame,
    features: Sequence[str],
    *,
    params: dict[str, Any] | None = None,
    n_splits: int = 5,
    gap: int = DEFAULT_HORIZON,
    label: str = "label_up",
    time_column: str = "minute",
) -> TrainedModel:
    """Classifier of ``label`` (up / not up), validated walk-forward against the majority class.

    Metrics per fold: accuracy, balanced_accuracy, log_loss, roc_auc (NaN when the test fold holds one
    class). Baseline: the majority class of each training fold (its class prior as probability).
    """
    return _train("classification", frame, features, params, n_splits, gap, label, time_column)


def train_return_regressor(
    frame: pd.DataFrame,
    features: Sequence[str],
    *,
    params: dict[str, Any] | None = None,
    n_splits: int = 5,
    gap: int = DEFAULT_HORIZON,
    label: str = "label_forward_return",
    time_column: str = "minute",
) -> TrainedModel:
    """Regressor of ``label`` (forward log return), validated walk-forward against predicting zero.

    Metrics per fold: mse, mae, skill = 1 - mse / mse of predicting 0. The baseline (0) has skill 0.
    """
    return _train("regression", frame, features, params, n_splits, gap, label, time_column)


# --- internals ---------------------------------------------------------------------------------------


def _train(
    task: Task,
    frame: pd.DataFrame,
    features: Sequence[str],
    params: dict[str, Any] | None,
    n_splits: int,
    gap: int,
    label: str,
    time_column: str,
) -> TrainedModel:
    features = list(features)
    missing = [c for c in [*features, label, time_column] if c not in frame.columns]
    if missing:
        raise ValueError(f"training frame lacks columns {missing}")
    if not features:
        raise ValueError("no features given")
    labelled = frame.loc[frame[label].notna(), [time_column, *features, label]]
    if labelled.empty:
        raise ValueError(f"no rows with a non-null {label}")
    times = pd.to_datetime(labelled[time_column]).to_numpy()
    x = labelled[features].to_numpy(dtype=np.float64, na_value=np.nan)
    if task == "classification":
        y = labelled[label].to_numpy(dtype=bool)
        if len(np.unique(y)) < 2:
            raise ValueError(f"{label} has one class only in the training window: nothing to learn")
    else:
        y = labelled[label].to_numpy(dtype=np.float64)
    pipeline, used, ignored = build_pipeline(task, params)

    fold_metrics, model_rows, baseline_rows = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # one-class test folds, convergence chatter
        warnings.simplefilter("ignore", RuntimeWarning)
        for fold in walk_forward_splits(times, n_splits, gap=gap):
            tr, te = fold.train_rows, fold.test_rows
            if task == "classification":
                model_m, base_m, degenerate = _classification_fold(pipeline, x[tr], y[tr], x[te], y[te])
            else:
                model_m, base_m, degenerate = _regression_fold(pipeline, x[tr], y[tr], x[te], y[te])
            model_rows.append(model_m)
            baseline_rows.append(base_m)
            fold_metrics.append(
                {
                    "fold": fold.index,
                    "train_start": fold.train_start.isoformat(),
                    "train_end": fold.train_end.isoformat(),
                    "test_start": fold.test_start.isoformat(),
                    "test_end": fold.test_end.isoformat(),
                    "n_train": len(tr),
                    "n_test": len(te),
                    "degenerate": degenerate,
                    "metrics": _json_safe(model_m),
                    "baseline_metrics": _json_safe(base_m),
                }
            )
        final = clone(pipeline).fit(x, y)

    return TrainedModel(
        pipeline=final,
        task=task,
        features=features,
        metrics=_mean(model_rows),
        baseline_metrics=_mean(baseline_rows),
        fold_metrics=fold_metrics,
        primary_metric=PRIMARY_METRIC[task],
        n_rows=len(labelled),
        label=label,
        params=used,
        ignored_params=ignored,
        n_splits=n_splits,
        gap=gap,
        train_start=pd.Timestamp(times.min()),
        train_end=pd.Timestamp(times.max()),
    )


def _classification_fold(pipeline, x_tr, y_tr, x_te, y_te) -> tuple[dict, dict, bool]:
    baseline = DummyClassifier(strategy="prior").fit(x_tr, y_tr)
    degenerate = len(np.unique(y_tr)) < 2
    # A training fold with one class cannot fit a classifier: it predicts that class, like the baseline.
    model = baseline if degenerate else clone(pipeline).fit(x_tr, y_tr)
    return _classification_metrics(model, x_te, y_te), _classification_metrics(baseline, x_te, y_te), degenerate


def _classification_metrics(model, x, y) -> dict[str, float]:
    classes = list(model.classes_)
    proba = model.predict_proba(x)
    p_up = proba[:, classes.index(True)] if True in classes else np.zeros(len(y))
    predicted = np.asarray(model.predict(x), dtype=bool)
    both = len(np.unique(y)) == 2
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(y, predicted)) if both else float("nan"),
        "log_loss": float(log_loss(y, np.clip(p_up, 1e-15, 1 - 1e-15), labels=[False, True])),
        "roc_auc": float(roc_auc_score(y, p_up)) if both else float("nan"),
    }


def _regression_fold(pipeline, x_tr, y_tr, x_te, y_te) -> tuple[dict, dict, bool]:
    predicted = clone(pipeline).fit(x_tr, y_tr).predict(x_te)
    return _regression_metrics(y_te, predicted), _regression_metrics(y_te, np.zeros(len(y_te))), False


def _regression_metrics(y, predicted) -> dict[str, float]:
    mse = float(mean_squared_error(y, predicted))
    mse_zero = float(np.mean(np.square(y)))
    return {
        "mse": mse,
        "mae": float(mean_absolute_error(y, predicted)),
        "skill": 1.0 - mse / mse_zero if mse_zero > 0 else float("nan"),
    }


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    out = {}
    for key in rows[0]:
        values = np.array([r[key] for r in rows], dtype=float)
        out[key] = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
    return out


def _json_safe(metrics: dict[str, float]) -> dict[str, float | None]:
    return {k: (v if np.isfinite(v) else None) for k, v in metrics.items()}
