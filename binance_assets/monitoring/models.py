"""The models' live state: each champion's offline metric and baseline (the registry's model card) and
the realised accuracy of the predictions over the latest scored days, by the one realised-accuracy rule
(`binance_assets.warehouse.realised`, which the serving API's `/accuracy` runs too): out-of-sample rows only, with
the in-sample rows counted beside. Read the way the API reads (a snapshot or a REPEATABLE READ session)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from binance_assets.ml.canary import calls_up_from, training_calls_up_query
from binance_assets.warehouse.realised import baseline_metric, realised_metrics_sql
from binance_assets.warehouse.table_names import FEATURES_TABLE, PREDICTIONS_TABLE


@dataclass(frozen=True)
class ChampionState:
    model: str
    version: str
    task: str
    primary_metric: str
    offline_value: float | None
    baseline_value: float | None
    # The naive baseline's accuracy on the same out-of-sample outcomes as the live accuracy (classifiers):
    # what the accuracy-under-baseline alert compares with, as the canary's rollback does.
    live_baseline_value: float | None = None


@dataclass(frozen=True)
class LiveAccuracy:
    model: str
    version: str
    realised: int  # out-of-sample predictions whose outcome is known
    hit_rate: float | None  # classifiers: share of realised predictions with the right direction
    mae: float | None  # regressors: mean absolute error of the forward return
    in_sample: int = 0  # predictions scored by a model trained on their day: left out of the figures above
    judged: int = 0  # out-of-sample rows judged (the denominator of the hit rate)
    ups: int = 0  # of those, classifier rows whose outcome was up (the hits of always calling up)


def champions(registry, session=None, live: list[LiveAccuracy] = ()) -> list[ChampionState]:
    """Each champion's card figures and, given a read `session` and the live rows, its naive baseline's accuracy
    on the same out-of-sample outcomes (`realised.baseline_metric`, the canary's rule)."""
    by_version = {(row.model, row.version): row for row in live}
    out = []
    for name in registry.model_names():
        card = registry.champion(name)
        if card is None:
            continue
        row = by_version.get((name, card.version))
        live_baseline = None
        if session is not None and row is not None and card.task == "classification":
            live_baseline = baseline_metric(card.task, {"judged": row.judged, "ups": row.ups},
                                            _calls_up(session, card))
        out.append(ChampionState(name, card.version, card.task, card.primary_metric, card.primary_value,
                                 card.baseline_value, live_baseline))
    return out


def _calls_up(session, card) -> bool | None:
    query = training_calls_up_query(card)
    if query is None:
        return None
    counts = session.query(*query).to_pylist()[0]
    return calls_up_from(int(counts["n"] or 0), int(counts["ups"] or 0))


def live_accuracy(session, window_days: float) -> list[LiveAccuracy]:
    """Realised accuracy per (model, version) over the `window_days` before the latest scored minute, all
    symbols pooled (the same as weighting each symbol's figure by its realised outcomes)."""
    from binance_assets.warehouse.snapshots import table_exists

    if not (table_exists(session, PREDICTIONS_TABLE) and table_exists(session, FEATURES_TABLE)):
        return []
    latest = session.query(f"SELECT max(minute) AS m FROM {PREDICTIONS_TABLE}").column(0)[0].as_py()
    if latest is None:
        return []
    end = latest + dt.timedelta(microseconds=1)
    start = end - dt.timedelta(days=window_days)
    sql = realised_metrics_sql(PREDICTIONS_TABLE, ["realised", "hit_rate", "mae", "in_sample", "judged", "ups"],
                               group_by=["p.model_name", "p.model_version"],
                               where=["p.minute >= ?", "p.minute < ?"])
    return [
        LiveAccuracy(row["model_name"], row["model_version"], int(row["realised"] or 0), row["hit_rate"],
                     row["mae"], int(row["in_sample"] or 0), int(row["judged"] or 0), int(row["ups"] or 0))
        for row in session.query(sql, [start, end]).to_pylist()
    ]


class ModelReader:
    """The configured registry and a reader of the configured warehouse, kept across scrapes (on DuckDB a
    snapshot of the file, refreshed when the file changes, in the exporter's own snapshot folder)."""

    def __init__(self, settings, window_days: float) -> None:
        from binance_assets.ml.resources import registry_from_url

        self.settings = settings
        self.window_days = window_days
        self.registry = registry_from_url(settings.resolved_model_registry_url,
                                          s3_endpoint_url=settings.s3_endpoint_url)
        self._reader = None

    def _session(self):
        if self._reader is None:
            from binance_assets.settings import postgres_connection_url
            from binance_assets.warehouse.snapshots import DuckDBSnapshotReader, PostgresReader

            if self.settings.warehouse_kind == "duckdb":
                # A writer holding the file at the first read: give up after 2 s (the next scrape retries).
                self._reader = DuckDBSnapshotReader(self.settings.resolved_duckdb_path,
                                                    self.settings.data_dir / "exporter" / "snapshots",
                                                    first_wait_seconds=2.0)
            else:
                # One connection is all a scrape needs (the password from its secret env var).
                self._reader = PostgresReader(postgres_connection_url(self.settings), min_size=1, max_size=1)
        return self._reader.session()

    def read(self) -> tuple[list[ChampionState], list[LiveAccuracy]]:
        with self._session() as session:
            live = live_accuracy(session, self.window_days)
            return champions(self.registry, session, live), live

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
