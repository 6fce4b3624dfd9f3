"""The ML read side: predictions with their model versions and realised outcome, the model registry.

The realised outcome of a prediction is the label the pipeline computes for that minute
(`features.minute_features.label_forward_return`, log(close[t+h]/close[t])): known once the forward
bars exist, null before. Classifiers have a probability (regressors' is null, as pandas NaN is
written as NULL). A classifier's prediction is right when (prediction == 1) == (return > 0), and a row is
``in_sample`` when the model that scored it was trained on its day: the one rule of
binance_assets.warehouse.realised, which both `history` (``correct``, ``in_sample`` per row) and `accuracy`
(out-of-sample rows only, the in-sample count beside) run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from binance_api.services.data_service import decode_cursor, encode_cursor
from binance_assets.warehouse.realised import CORRECT, IN_SAMPLE, realised_metrics_sql
from binance_assets.warehouse.snapshots import table_exists
from binance_assets.warehouse.table_names import FEATURES_TABLE as FEATURES
from binance_assets.warehouse.table_names import PREDICTIONS_TABLE as PREDICTIONS

_SELECT = f"""
    SELECT p.minute, p.model_name, p.model_version, p.prediction, p.probability,
           f.label_forward_return AS realised_return, {CORRECT} AS correct, {IN_SAMPLE} AS in_sample
    FROM {PREDICTIONS} p LEFT JOIN {FEATURES} f ON f.symbol = p.symbol AND f.minute = p.minute
"""
ACCURACY_METRICS = ["predictions", "in_sample", "realised", "hit_rate", "mae"]


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("prediction", "probability", "realised_return"):
        value = row.get(key)
        if isinstance(value, float) and value != value:  # NaN -> null
            row[key] = None
    row["outcome_known"] = row.get("realised_return") is not None
    return row


def _require_tables(session) -> bool:
    return table_exists(session, PREDICTIONS) and table_exists(session, FEATURES)


def latest(session, symbol: str) -> list[dict[str, Any]]:
    """Each model's prediction for the symbol's latest scored minute."""
    if not _require_tables(session):
        return []
    rows = session.query(
        f"{_SELECT} WHERE p.symbol = ? AND p.minute = (SELECT max(minute) FROM {PREDICTIONS} WHERE symbol = ?) "
        "ORDER BY p.model_name",
        [symbol, symbol],
    ).to_pylist()
    return [_clean(r) for r in rows]


def history(
    session, symbol: str, start: dt.datetime, end: dt.datetime, model: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    if not _require_tables(session):
        return [], None
    where, params = ["p.symbol = ?", "p.minute < ?"], [symbol, end]
    if cursor:
        c = decode_cursor(cursor, ("minute", "model"))
        where.append("(p.minute > ? OR (p.minute = ? AND p.model_name > ?))")
        m = dt.datetime.fromisoformat(c["minute"])
        params += [m, m, c["model"]]
    else:
        where.append("p.minute >= ?")
        params.append(start)
    if model:
        where.append("p.model_name = ?")
        params.append(model)
    rows = session.query(
        f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY p.minute, p.model_name LIMIT {int(limit) + 1}", params
    ).to_pylist()
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor({"minute": rows[-1]["minute"].isoformat(), "model": rows[-1]["model_name"]})
    return [_clean(r) for r in rows], nxt


def accuracy(session, symbol: str, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Realised accuracy per model version over [start, end): hit rate (classifiers), MAE (regressors), on
    out-of-sample rows only; ``in_sample`` counts the rows left out."""
    if not _require_tables(session):
        return []
    sql = realised_metrics_sql(PREDICTIONS, ACCURACY_METRICS,
                               group_by=["p.model_name", "p.model_version"],
                               where=["p.symbol = ?", "p.minute >= ?", "p.minute < ?"])
    rows = session.query(sql, [symbol, start, end]).to_pylist()
    return rows


def registry(config):
    """The model registry the pipeline writes (a local folder, or s3://bucket/prefix)."""
    from urllib.parse import urlsplit

    from binance_assets.model_registry.stores import LocalModelRegistry, S3ModelRegistry

    url = config.core.resolved_model_registry_url
    parts = urlsplit(url)
    if parts.scheme == "s3":
        import boto3

        client = boto3.client("s3", endpoint_url=config.core.s3_endpoint_url)
        return S3ModelRegistry(bucket=parts.netloc, prefix=parts.path.strip("/"), client=client)
    from pathlib import Path

    return LocalModelRegistry(Path(url))


def models(config) -> list[dict[str, Any]]:
    """Every model: champion, challengers, metrics, promotion history."""
    reg = registry(config)
    out = []
    for name in reg.model_names():
        cards = reg.list_versions(name)
        pointer = reg.history(name)
        out.append({
            "name": name,
            "champion": pointer["champion"],
            "versions": [
                {"version": c.version, "status": c.status, "status_reason": c.status_reason,
                 "created_at": c.created_at, "task": c.task, "primary_metric": c.primary_metric,
                 "metrics": c.metrics, "baseline_metrics": c.baseline_metrics,
                 "training_window": c.training_window}
                for c in cards
            ],
            "promotion_history": pointer["events"],
        })
    return out
