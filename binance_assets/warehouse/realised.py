"""Realised accuracy: how predictions fared against the forward returns that came true. The one rule.

The realised outcome of a prediction of (symbol, minute) is ``features.minute_features.label_forward_return``
of that minute (log(close[t+h]/close[t])), null until the forward bars exist. A classifier's row (its
``probability`` is not null) is correct when ``(prediction = 1) = (return > 0)``; a regressor's row (null
probability) has the error ``prediction - return``.

**Out of sample only.** A row is *in sample* when the model that scored it had been trained on its day (or a
later one): the scoring asset writes ``in_sample`` from the model's training window
(binance_assets.ml.point_in_time); a row without the flag counts as in sample. In-sample rows are judged
(``CORRECT``) but left out of every accuracy figure: every aggregate below except ``predictions`` and the
``in_sample`` counts reads out-of-sample rows only, so no reader can forget the rule. Readers show the
``in_sample`` count beside their figure.

The aggregates are SQL (DuckDB and PostgreSQL alike), shared by the API (binance_api.services.ml_service and
the dashboard), the exporter (binance_assets.monitoring.models), the demo summary and the canary
(binance_assets.ml.canary), so all of them judge a prediction the same way. No Dagster imports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from binance_assets.warehouse.table_names import FEATURES_TABLE

IN_SAMPLE = "coalesce(p.in_sample, true)"  # a row without the flag counts as in sample
OUT_OF_SAMPLE = f"NOT {IN_SAMPLE}"
_RET = "f.label_forward_return"
_OOS_RET = f"CASE WHEN {OUT_OF_SAMPLE} THEN {_RET} END"  # the outcome as the accuracy figures see it
# One row, whatever its sample: was the classifier's direction right (null: regressor, or not known yet)?
CORRECT = (f"CASE WHEN {_RET} IS NULL OR p.probability IS NULL THEN NULL "
           f"WHEN (p.prediction = 1.0) = ({_RET} > 0) THEN TRUE ELSE FALSE END")
# One row as the accuracy figures count it: 1 hit, 0 miss, null when not counted (in sample, regressor, unknown).
HIT = (f"CASE WHEN {_OOS_RET} IS NULL OR p.probability IS NULL THEN NULL "
       f"WHEN (p.prediction = 1.0) = ({_RET} > 0) THEN 1.0 ELSE 0.0 END")
_ERROR = f"CASE WHEN {_OOS_RET} IS NULL OR p.probability IS NOT NULL THEN NULL ELSE p.prediction - {_RET} END"
_RETURN = f"CASE WHEN {_OOS_RET} IS NULL OR p.probability IS NOT NULL THEN NULL ELSE {_RET} END"
_UP = f"CASE WHEN {HIT} IS NULL THEN NULL WHEN {_RET} > 0 THEN 1.0 ELSE 0.0 END"

AGGREGATES: Mapping[str, str] = {
    "predictions": "count(*)",  # every row, in sample or not
    "in_sample": f"count(CASE WHEN {IN_SAMPLE} THEN 1 END)",  # rows left out of every figure below
    "realised": f"count({_OOS_RET})",  # out-of-sample rows whose outcome is known: what the figures judge
    "hit_rate": f"avg({HIT})",  # classifiers
    "mae": f"avg(abs({_ERROR}))",  # regressors
    # Sums that pool across groups (the canary adds days up): hits / judged, 1 - squared_error / squared_return.
    "judged": f"count({HIT}) + count({_ERROR})",
    "hits": f"sum({HIT})",
    "squared_error": f"sum(({_ERROR}) * ({_ERROR}))",
    "squared_return": f"sum(({_RETURN}) * ({_RETURN}))",
    # Classifier rows judged whose outcome was up: the hits of always calling up on the same rows.
    "ups": f"sum({_UP})",
}


def realised_metrics_sql(
    predictions_table: str,
    metrics: Sequence[str],
    *,
    group_by: Sequence[str] = (),
    where: Sequence[str] = (),
    features_table: str = FEATURES_TABLE,
) -> str:
    """``SELECT <group_by>, <metrics> FROM <predictions_table> p LEFT JOIN <features_table> f ...``.

    ``group_by`` and ``where`` use the alias ``p`` for the predictions (e.g. ``"p.model_version"``,
    ``"p.symbol = ?"``, `OUT_OF_SAMPLE`); ``metrics`` are keys of `AGGREGATES`, selected under their names.
    Rows come ordered by ``group_by``.
    """
    unknown = [m for m in metrics if m not in AGGREGATES]
    if unknown:
        raise ValueError(f"unknown realised metrics {unknown}; choose from {sorted(AGGREGATES)}")
    columns = [*(f"{g} AS {g.split('.')[-1]}" for g in group_by), *(f"{AGGREGATES[m]} AS {m}" for m in metrics)]
    sql = (f"SELECT {', '.join(columns)} FROM {predictions_table} p "
           f"LEFT JOIN {features_table} f ON f.symbol = p.symbol AND f.minute = p.minute")
    if where:
        sql += " WHERE " + " AND ".join(f"({w})" for w in where)
    if group_by:
        positions = ", ".join(str(i + 1) for i in range(len(group_by)))
        sql += f" GROUP BY {positions} ORDER BY {positions}"
    return sql


def live_metric(task: str, row: Mapping[str, Any]) -> float | None:
    """The card's primary metric from pooled sums: accuracy (hits / judged) for a classifier, skill
    (1 - squared error / squared return, i.e. against predicting a zero return) for a regressor;
    None when nothing was judged."""
    judged = _number(row.get("judged"))
    if not judged:
        return None
    if task == "classification":
        return (_number(row.get("hits")) or 0.0) / judged
    squared_return = _number(row.get("squared_return"))
    if not squared_return:
        return None
    return 1.0 - (_number(row.get("squared_error")) or 0.0) / squared_return


def baseline_metric(task: str, row: Mapping[str, Any], calls_up: bool | None = None) -> float | None:
    """The same metric as `live_metric`, of the naive baseline on the same judged rows (the baseline the
    offline gate compares with, now on live outcomes): a classifier's baseline always calls its training
    window's majority class (``calls_up``): ups / judged, or the rest; a regressor's predicts a zero return,
    whose skill is 0 by definition. None when nothing was judged or the baseline's call is unknown."""
    judged = _number(row.get("judged"))
    if not judged:
        return None
    if task == "classification":
        if calls_up is None:
            return None
        ups = _number(row.get("ups")) or 0.0
        return (ups if calls_up else judged - ups) / judged
    return 0.0 if _number(row.get("squared_return")) else None


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
