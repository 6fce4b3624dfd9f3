"""A challenger's model card, from what training produced and the rows it trained on."""

from __future__ import annotations

import pandas as pd

from binance_assets.ml.scoring import feature_schema, feature_schema_hash
from binance_assets.model_registry.card import ModelCard


def build_card(name: str, trained, frame: pd.DataFrame, *, hyperparameters: dict | None = None) -> ModelCard:
    """A challenger card for a `training.TrainedModel` trained on ``frame`` (the window's feature rows)."""
    if "trade_date" in frame.columns:
        days = pd.to_datetime(frame["trade_date"].astype(str))
    else:
        days = pd.to_datetime(frame["minute"]).dt.normalize()
    return ModelCard(
        name=name,
        task=trained.task,
        training_window={
            "start": days.min().date().isoformat(),
            "end": days.max().date().isoformat(),
            "symbols": sorted(frame["symbol"].astype(str).unique().tolist()) if "symbol" in frame else [],
        },
        features=list(trained.features),
        feature_schema_hash=feature_schema_hash(frame, trained.features),
        feature_dtypes=feature_schema(frame, trained.features),
        metrics=dict(trained.metrics),
        baseline_metrics=dict(trained.baseline_metrics),
        primary_metric=trained.primary_metric,
        hyperparameters=dict(hyperparameters if hyperparameters is not None else trained.params),
        n_rows=trained.n_rows,
        fold_metrics=list(getattr(trained, "fold_metrics", []) or []),
    )
