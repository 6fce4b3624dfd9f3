"""Canary releases of models: a challenger shadows the champion on live data, then is promoted or not;
a champion that falls under its baseline on live data is rolled back. Pure logic, no Dagster imports.

Live metric: the card's primary metric (accuracy for the classifier, skill for the regressor) on realised
outcomes (binance_assets.warehouse.realised, the rule the API uses), out-of-sample rows only, pooled over the
(symbol, day) partitions judged. Every comparison is between two figures on the same live outcomes.

* **Canary.** A challenger that beat its baseline but not the champion at the offline gate
  (binance_assets.ml.promotion) scores every new partition into ``ml.shadow_predictions``. Its window is
  the (symbol, day) partitions that both it (shadow) and the champion (``ml.predictions``) scored out of
  sample with known outcomes. Fewer than ``canary_days`` days: ``keep_shadowing``. Then: ``promote``
  when its live metric beats the champion's on those partitions by more than ``margin``, else
  ``keep_challenger`` (the canary ends; the version stays a challenger with the numbers as reason).
* **Rollback.** On each of the current champion's out-of-sample days after it became champion
  (``champion_since``, set by canary promotions and rollbacks), its live metric is compared with the naive
  baseline's on the same rows (`realised.baseline_metric`: the kind of baseline it was gated against offline,
  the majority class of its own training window for the classifier, a zero return for the regressor; not the
  card's cross-validation figure, which was measured on other days). Under it on the last ``rollback_days``
  days with outcomes (days without outcomes neither count nor break the run): ``rollback`` to the previous
  champion, or ``demote`` (no champion: that model's predictions stop, the predictions asset says why) when
  there is none; an alert goes out. Otherwise ``keep_champion``.
* ``insufficient_data``: nothing judged yet (no out-of-sample rows with outcomes, or no baseline call).

Every decision is recorded in the registry's history (``who="canary"``), once per (action, version, day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from binance_assets.ml.point_in_time import training_end, training_start
from binance_assets.model_registry.card import ModelCard
from binance_assets.model_registry.registry import ModelRegistry
from binance_assets.warehouse.realised import (
    baseline_metric,
    live_metric,
    realised_metrics_sql,
)
from binance_assets.warehouse.table_names import FEATURES_TABLE, PREDICTIONS_TABLE, SHADOW_PREDICTIONS_TABLE

SUMS = ["judged", "hits", "squared_error", "squared_return", "ups"]
KEYS = ["model_name", "model_version", "symbol", "trade_date"]
ACTIONS = ("promote", "keep_shadowing", "keep_challenger", "keep_champion", "rollback", "demote",
           "insufficient_data")


@dataclass(frozen=True)
class CanaryPolicy:
    canary_days: int = 3
    rollback_days: int = 2
    margin: float = 0.02


@dataclass(frozen=True)
class CanaryDecision:
    model: str
    subject: str  # "canary" (the shadowing challenger) or "champion"
    action: str
    version: str | None
    reason: str
    as_of: str
    days: int = 0
    metrics: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_daily(warehouse, table: str, as_of: dt.date) -> pd.DataFrame:
    """Out-of-sample sums per (model, version, symbol, day) of ``table`` up to ``as_of`` (empty: no table).
    The sums read out-of-sample rows only (the rule of `realised.AGGREGATES`)."""
    if not warehouse.table_exists(table):
        return pd.DataFrame(columns=[*KEYS, *SUMS])
    sql = realised_metrics_sql(table, SUMS, group_by=[f"p.{k}" for k in KEYS], where=["p.trade_date <= ?"])
    frame = warehouse.query(sql, [as_of])
    frame["trade_date"] = pd.to_datetime(frame["trade_date"].astype(str)).dt.date
    return frame


def _judged(frame: pd.DataFrame, name: str, version: str | None = None) -> pd.DataFrame:
    keep = (frame["model_name"] == name) & (frame["judged"].fillna(0) > 0)
    if version is not None:
        keep &= frame["model_version"] == version
    return frame.loc[keep]


def _sums(rows: pd.DataFrame) -> dict[str, float]:
    return {s: rows[s].astype(float).sum() for s in SUMS if s in rows}


def _pooled(task: str, rows: pd.DataFrame) -> float | None:
    return live_metric(task, _sums(rows)) if len(rows) else None


def training_calls_up_query(card: ModelCard) -> tuple[str, list[Any]] | None:
    """SQL (`?` parameters) counting the labels of ``card``'s training window (``n``) and the up ones (``ups``);
    None when the card has no window. With `calls_up_from`, the call of its naive classifier baseline."""
    window = card.training_window or {}
    if not (window.get("start") and window.get("end")):
        return None
    symbols = list(window.get("symbols") or [])
    where = "trade_date >= ? AND trade_date <= ? AND label_forward_return IS NOT NULL"
    params: list[Any] = [training_start(card), training_end(card)]
    if symbols:
        where += f" AND symbol IN ({', '.join('?' for _ in symbols)})"
        params += symbols
    return (f"SELECT count(*) AS n, count(CASE WHEN label_forward_return > 0 THEN 1 END) AS ups "
            f"FROM {FEATURES_TABLE} WHERE {where}", params)


def calls_up_from(n: int, ups: int) -> bool | None:
    """The majority class of ``n`` labels of which ``ups`` were up (what sklearn's
    ``DummyClassifier(strategy="prior")``, the offline baseline, fit on them predicts; a tie is "not up")."""
    return None if n == 0 else ups * 2 > n


def training_calls_up(warehouse, card: ModelCard) -> bool | None:
    """The call of ``card``'s naive classifier baseline: the majority class of the labels in its training window.
    None when the card has no window or the window's labels are gone."""
    query = training_calls_up_query(card)
    if query is None:
        return None
    row = warehouse.query(*query).iloc[0]
    return calls_up_from(int(row["n"]), int(row["ups"]))


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def decide_canary(registry: ModelRegistry, name: str, champion_daily: pd.DataFrame, shadow_daily: pd.DataFrame,
                  as_of: dt.date, policy: CanaryPolicy) -> CanaryDecision | None:
    """The canary's decision, or None when no canary runs."""
    canary = registry.history(name)["canary"]
    if not canary:
        return None
    card = registry.get(name, canary["version"])
    task, metric = card.task, card.primary_metric

    def decision(action: str, reason: str, days: int = 0, **metrics) -> CanaryDecision:
        return CanaryDecision(name, "canary", action, card.version, reason, as_of.isoformat(), days,
                              {k: _round(v) for k, v in metrics.items()})

    shadow = _judged(shadow_daily, name, card.version)
    served = _judged(champion_daily, name)  # what the champion(s) served on those partitions
    pairs = shadow[["symbol", "trade_date"]].merge(served[["symbol", "trade_date"]]).drop_duplicates()
    shadow = shadow.merge(pairs)
    served = served.merge(pairs)
    days = pairs["trade_date"].nunique()
    mine, theirs = _pooled(task, shadow), _pooled(task, served)
    if not days or mine is None or theirs is None:
        return decision("insufficient_data", f"{card.version} in shadow: no out-of-sample partition with "
                                             f"realised outcomes scored by both it and the champion yet")
    gain = mine - theirs
    numbers = (f"live {metric} {_fmt(mine)} vs champion {_fmt(theirs)} (gain {gain:+.4f}, margin "
               f"{policy.margin:.4f}) over {days} day(s), {len(pairs)} partition(s)")
    kw = {"challenger": mine, "champion": theirs, "gain": gain}
    if days < policy.canary_days:
        return decision("keep_shadowing", f"in shadow {days} of {policy.canary_days} days: {numbers}", days, **kw)
    if gain > policy.margin:
        return decision("promote", f"canary promoted after {days} days in shadow: {numbers}", days, **kw)
    return decision("keep_challenger", f"kept as challenger after {days} days in shadow: {numbers}", days, **kw)


def decide_health(registry: ModelRegistry, name: str, champion_daily: pd.DataFrame, as_of: dt.date,
                  policy: CanaryPolicy, calls_up: Callable[[ModelCard], bool | None] = lambda card: None,
                  ) -> CanaryDecision | None:
    """Whether the champion stays (None when there is no champion). ``calls_up(card)``: the classifier
    baseline's call (`training_calls_up`)."""
    pointer = registry.history(name)
    card = registry.champion(name)
    if card is None:
        return None
    since = pointer["champion_since"]
    rows = _judged(champion_daily, name, card.version)
    if since:
        rows = rows[rows["trade_date"] > dt.date.fromisoformat(since)]
    up = calls_up(card) if card.task == "classification" else None
    per_day = [(day, live_metric(card.task, _sums(group)), baseline_metric(card.task, _sums(group), up))
               for day, group in rows.groupby("trade_date", sort=True)]
    metric = card.primary_metric

    def decision(action: str, reason: str, **metrics) -> CanaryDecision:
        return CanaryDecision(name, "champion", action, card.version, reason, as_of.isoformat(), len(per_day),
                              {k: _round(v) for k, v in metrics.items()})

    if not per_day or all(base is None for _, _, base in per_day):
        return decision("insufficient_data", f"champion {card.version}: no out-of-sample day with realised "
                                             f"outcomes{' since ' + since if since else ''} and a baseline to "
                                             f"compare with")
    streak = 0
    for _, value, base in reversed(per_day):
        if value is None or base is None or value >= base:
            break
        streak += 1
    _, last, last_base = per_day[-1]
    recent = ", ".join(f"{day}: {_fmt(value)} vs {_fmt(base)}" for day, value, base in per_day[-policy.rollback_days:])
    numbers = (f"live {metric} under the naive baseline's on the same outcomes on the last {streak} consecutive "
               f"day(s) (limit {policy.rollback_days}; {recent})")
    kw = {"live": last, "baseline": last_base, "days_under": streak}
    if streak >= policy.rollback_days:
        action = "rollback" if pointer["history"] else "demote"
        return decision(action, f"champion {card.version} {action}: {numbers}", **kw)
    return decision("keep_champion", f"champion {card.version} kept: {numbers}", **kw)


def evaluate(registry: ModelRegistry, name: str, champion_daily: pd.DataFrame, shadow_daily: pd.DataFrame,
             as_of: dt.date, policy: CanaryPolicy,
             calls_up: Callable[[ModelCard], bool | None] = lambda card: None) -> list[CanaryDecision]:
    """The canary's decision, then (unless the canary was promoted) the champion's."""
    decisions = []
    canary = decide_canary(registry, name, champion_daily, shadow_daily, as_of, policy)
    if canary is not None:
        decisions.append(canary)
    if canary is None or canary.action != "promote":
        health = decide_health(registry, name, champion_daily, as_of, policy, calls_up)
        if health is not None:
            decisions.append(health)
    return decisions


def apply_decision(registry: ModelRegistry, decision: CanaryDecision) -> str | None:
    """Carry ``decision`` out in the registry and record it; returns the alert text for a rollback/demotion."""
    name, details = decision.model, {"as_of": decision.as_of, "days": decision.days, "metrics": decision.metrics}
    if decision.action == "promote":
        registry.promote(name, decision.version, decision.reason, who="canary", since=decision.as_of, **details)
    elif decision.action == "keep_challenger":
        registry.end_canary(name, decision.reason, **details)
    elif decision.action in ("rollback", "demote"):
        if decision.action == "rollback":
            restored = registry.rollback(name, decision.reason, who="canary", since=decision.as_of, **details)
            outcome = f"rolled back to {restored.version}"
        else:
            registry.demote(name, decision.reason, who="canary", since=decision.as_of, **details)
            outcome = "demoted: no previous champion, so its predictions stop until a new champion is promoted"
        return f":rotating_light: model {name}: champion {decision.version} {outcome}. {decision.reason}"
    else:
        registry.record_event(name, f"canary_{decision.action}", decision.version, decision.reason,
                              who="canary", subject=decision.subject, **details)
    return None


def load_and_evaluate(registry: ModelRegistry, warehouse, names: list[str], as_of: dt.date,
                      policy: CanaryPolicy) -> tuple[list[CanaryDecision], list[str]]:
    """Evaluate and apply the decisions of every model in ``names``: (decisions, alert texts)."""
    champion_daily = load_daily(warehouse, PREDICTIONS_TABLE, as_of)
    shadow_daily = load_daily(warehouse, SHADOW_PREDICTIONS_TABLE, as_of)
    decisions, alerts = [], []
    for name in names:
        for decision in evaluate(registry, name, champion_daily, shadow_daily, as_of, policy,
                                 lambda card: training_calls_up(warehouse, card)):
            decisions.append(decision)
            alert = apply_decision(registry, decision)
            if alert:
                alerts.append(alert)
    return decisions, alerts
