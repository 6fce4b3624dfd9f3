"""The Models page's reads: the registry's cards (read-only) and the drift checks' PSI per feature per day."""

from __future__ import annotations

from typing import Any

from binance_api.dashboard.dagster_storage import CheckStore
from binance_assets.model_registry.registry import ModelRegistry

PREDICTIONS_ASSET = ["ml", "predictions"]
DRIFT_CHECK = "feature_drift"
CARD_FIELDS = (
    "name", "version", "status", "status_reason", "created_at", "task", "primary_metric", "metrics",
    "baseline_metrics", "fold_metrics", "training_window", "n_rows", "features",
)


def models_overview(registry: ModelRegistry) -> list[dict[str, Any]]:
    """Per model: its versions (champion first, then challengers, newest first) and promotion history."""
    out = []
    for name in registry.model_names():
        cards = registry.list_versions(name)
        rank = {"champion": 0, "challenger": 1, "retired": 2}
        cards.sort(key=lambda c: (rank.get(c.status, 3), -int(c.version.lstrip("v") or 0)))
        versions = []
        for card in cards:
            d = card.to_dict()
            item = {k: d.get(k) for k in CARD_FIELDS}
            item["primary_value"] = card.primary_value
            item["baseline_value"] = card.baseline_value
            item["beats_baseline"] = (
                None if card.primary_value is None or card.baseline_value is None
                else _better(card.primary_metric, card.primary_value, card.baseline_value)
            )
            versions.append(item)
        history = registry.history(name)
        out.append({"name": name, "champion": history["champion"], "versions": versions,
                    "events": list(reversed(history["events"]))})
    return out


LOWER_IS_BETTER = ("log_loss", "mse", "mae")


def _better(metric: str, value: float, baseline: float) -> bool:
    return value < baseline if metric in LOWER_IS_BETTER else value > baseline


def drift_by_day(store: CheckStore) -> dict[str, Any]:
    """PSI per feature per day (max over the day's symbols) from the latest `feature_drift` evaluations."""
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for outcome in store.latest(asset=PREDICTIONS_ASSET, check=DRIFT_CHECK):
        if not outcome.partition:
            continue
        day, _, symbol = outcome.partition.partition("|")
        per_feature = outcome.metadata.get("per_feature") or {}
        for feature, values in per_feature.items():
            psi = values.get("psi") if isinstance(values, dict) else None
            if psi is None:
                continue
            slot = cells.setdefault(feature, {}).get(day)
            if slot is None or psi > slot["psi"]:
                cells[feature][day] = {"psi": float(psi), "severity": values.get("severity", "ok"), "symbol": symbol}
    days = sorted({d for per_day in cells.values() for d in per_day})
    return {"days": days, "features": [{"feature": f, "by_day": cells[f]} for f in sorted(cells)]}
