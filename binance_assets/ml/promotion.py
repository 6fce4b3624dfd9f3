"""The promotion gate: a challenger becomes champion only if it clearly beats its baseline and the champion.

Both comparisons use the card's ``primary_metric`` (higher is better: accuracy for the classifier, skill
for the regressor) and need a lead strictly greater than ``margin``. The champion's number is the one
on its card, i.e. measured walk-forward on ITS training window: the two windows differ, so the margin
should be set with that noise in mind.

A challenger that beats its baseline by the margin but not the champion (`PromotionDecision.canary`)
enters the canary: it scores new partitions in shadow beside the champion until its live metric decides
(binance_assets.ml.canary). One canary at a time per model: while one runs, the next such challenger
stays a plain challenger (daily retrains would otherwise restart the shadow window every day).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from binance_assets.model_registry.card import ModelCard
from binance_assets.model_registry.registry import ModelRegistry


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reason: str
    canary: bool = False  # beat the baseline by the margin, not the champion: may shadow the champion


def _value(metrics: dict[str, Any], key: str) -> float | None:
    value = metrics.get(key)
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def decide_promotion(challenger: ModelCard, champion: ModelCard | None, *, margin: float) -> PromotionDecision:
    metric = challenger.primary_metric
    mine = _value(challenger.metrics, metric)
    baseline = _value(challenger.baseline_metrics, metric)
    if mine is None or baseline is None:
        return PromotionDecision(
            False, f"{metric} of the challenger ({mine}) or of its baseline ({baseline}) is missing"
        )
    lift = mine - baseline
    versus_baseline = f"{metric} {mine:.4f} vs baseline {baseline:.4f} (lift {lift:+.4f}, margin {margin:.4f})"
    if not lift > margin:
        return PromotionDecision(
            False, f"kept as challenger: does not beat its baseline by the margin: {versus_baseline}"
        )
    if champion is None:
        return PromotionDecision(True, f"promoted: no champion yet; {versus_baseline}")
    if champion.primary_metric != metric:
        return PromotionDecision(
            False,
            f"kept as challenger: champion {champion.version} is ranked by {champion.primary_metric}, not {metric}",
        )
    theirs = _value(champion.metrics, metric)
    if theirs is None:
        return PromotionDecision(True, f"promoted: champion {champion.version} has no {metric}; {versus_baseline}")
    gain = mine - theirs
    versus_champion = f"{metric} {mine:.4f} vs champion {champion.version} {theirs:.4f} (gain {gain:+.4f})"
    if not gain > margin:
        return PromotionDecision(
            False,
            f"kept as challenger: does not beat the champion by the margin: {versus_champion}; {versus_baseline}",
            canary=True,
        )
    return PromotionDecision(True, f"promoted: {versus_champion}; {versus_baseline}")


def register_with_gate(
    registry: ModelRegistry, name: str, model: Any, card: ModelCard, *, margin: float, canary: bool = True
) -> tuple[ModelCard, PromotionDecision]:
    """Register ``model`` as a challenger, then promote it if `decide_promotion` says so, else start its
    canary when the decision allows one, ``canary`` is on and no canary runs.

    Returns the stored card (status champion, or challenger with the gate's reason) and the decision.
    """
    champion = registry.champion(name)
    stored = registry.register(name, model, card)
    decision = decide_promotion(stored, champion, margin=margin)
    if decision.promote:
        return registry.promote(name, stored.version, decision.reason, who="gate"), decision
    if decision.canary and canary:
        running = registry.history(name)["canary"]
        if running is None:
            registry.start_canary(name, stored.version, decision.reason)
            return registry.get(name, stored.version), decision
        reason = f"{decision.reason}; no canary: {running['version']} is already shadowing the champion"
        decision = PromotionDecision(False, reason, canary=False)
    return registry.set_status_reason(name, stored.version, decision.reason), decision
