"""Which model may score a day, and what a day's drift is compared with: no model judges data it learnt from.

* **Scoring.** Day D is scored by the last champion whose training window ends before D (out of sample).
  When the daily retrain fires on D and its new champion's window contains D, predictions for D still use
  the previous champion. When no champion was trained before D (a backfill of old days, or the very first
  model), D is scored by the current champion and its rows are marked ``in_sample``: the model has seen
  D (or later days), so those rows are kept out of every accuracy figure (binance_assets.warehouse.realised).
* **Drift.** The reference of (D, symbol) is the same symbol's rows in the scoring model's training window,
  without D itself: like is compared with like, and a day is never compared with itself.

Pure functions over model cards and frames; the Dagster assets and checks call them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from binance_assets.model_registry.card import ModelCard


@dataclass(frozen=True)
class ScoringChoice:
    card: ModelCard
    in_sample: bool
    reason: str


def training_end(card: ModelCard) -> dt.date:
    end = (card.training_window or {}).get("end")
    if not end:
        raise ValueError(f"model {card.name} {card.version} has no training window end on its card")
    return dt.date.fromisoformat(end)


def training_start(card: ModelCard) -> dt.date:
    start = (card.training_window or {}).get("start")
    if not start:
        raise ValueError(f"model {card.name} {card.version} has no training window start on its card")
    return dt.date.fromisoformat(start)


def choose_scoring_model(lineage: Sequence[ModelCard], day: dt.date) -> ScoringChoice:
    """The model that scores ``day``; ``lineage`` lists the champions in the order they became champion
    (`ModelRegistry.champion_lineage`, current champion last)."""
    if not lineage:
        raise ValueError(f"no champion to score {day} with")
    before = [card for card in lineage if training_end(card) < day]
    if before:
        card = before[-1]
        return ScoringChoice(card, False, f"out of sample: {card.version} was trained on "
                                          f"{training_start(card)}..{training_end(card)}, before {day}")
    card = lineage[-1]
    return ScoringChoice(card, True, f"in sample: no champion was trained before {day}; {card.version} "
                                     f"(trained on {training_start(card)}..{training_end(card)}) scored it")


def drift_references(window: pd.DataFrame, day: dt.date) -> dict[str, pd.DataFrame]:
    """The drift reference of each symbol for a scored ``day``, from the feature rows of a model's training
    window: that symbol's rows, without ``day``. One pass over the window, whatever the number of symbols; a
    symbol the window lacks has no entry (no reference)."""
    dates = pd.to_datetime(window["trade_date"].astype(str)).dt.date
    kept = window.loc[(dates != day).to_numpy()]
    return {str(symbol): rows for symbol, rows in kept.groupby(kept["symbol"].astype(str), sort=False)}
