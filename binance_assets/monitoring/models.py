"""The models' live state: each champion's offline metric and baseline (the registry's model card) and
the realised accuracy of the predictions over the latest scored days, computed by the serving API's
own query (`binance_api.services.ml_service.accuracy`, one implementation), read the way the API reads."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class ChampionState:
    model: str
    version: str
    task: str
    primary_metric: str
    offline_value: float | None
    baseline_value: float | None


@dataclass(frozen=True)
class LiveAccuracy:
    model: str
    version: str
    realised: int  # predictions whose outcome is known
    hit_rate: float | None  # classifiers: share of realised predictions with the right direction
    mae: float | None  # regressors: mean absolute error of the forward return


def champions(registry) -> list[ChampionState]:
    out = []
    for name in registry.model_names():
        card = registry.champion(name)
        if card is None:
            continue
        out.append(ChampionState(name, card.version, card.task, card.primary_metric, card.primary_value,
                                 card.baseline_value))
    return out


def live_accuracy(session, window_days: float) -> list[LiveAccuracy]:
    """Realised accuracy per (model, version) over the `window_days` before the latest scored minute,
    all symbols together (each symbol's rows from `ml_service.accuracy`, weighted by realised outcomes)."""
    from binance_api.services import ml_service
    from binance_api.services.data_service import table_exists

    if not (table_exists(session, ml_service.PREDICTIONS) and table_exists(session, ml_service.FEATURES)):
        return []
    latest = session.query(f"SELECT max(minute) AS m FROM {ml_service.PREDICTIONS}").column(0)[0].as_py()
    if latest is None:
        return []
    end = latest + dt.timedelta(microseconds=1)
    start = end - dt.timedelta(days=window_days)
    symbols = session.query(
        f"SELECT DISTINCT symbol FROM {ml_service.PREDICTIONS} WHERE minute >= ? AND minute < ? ORDER BY symbol",
        [start, end],
    ).column(0).to_pylist()
    sums: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for symbol in symbols:
        for row in ml_service.accuracy(session, symbol, start, end):
            acc = sums[(row["model_name"], row["model_version"])]
            realised = row["realised"] or 0
            acc["realised"] += realised
            for metric in ("hit_rate", "mae"):
                if row[metric] is not None and realised:
                    acc[metric] += row[metric] * realised
                    acc[f"{metric}_n"] += realised
    return [
        LiveAccuracy(model, version, int(acc["realised"]),
                     acc["hit_rate"] / acc["hit_rate_n"] if acc["hit_rate_n"] else None,
                     acc["mae"] / acc["mae_n"] if acc["mae_n"] else None)
        for (model, version), acc in sorted(sums.items())
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
            from binance_api.services.data_service import make_reader
            from binance_api.services.snapshots import DuckDBSnapshotReader
            from binance_api.settings import ApiConfig

            if self.settings.warehouse_kind == "duckdb":
                # A writer holding the file at the first read: give up after 2 s (the next scrape retries).
                self._reader = DuckDBSnapshotReader(self.settings.resolved_duckdb_path,
                                                    self.settings.data_dir / "exporter" / "snapshots",
                                                    first_wait_seconds=2.0)
            else:
                self._reader = make_reader(ApiConfig(core=self.settings))
        return self._reader.session()

    def read(self) -> tuple[list[ChampionState], list[LiveAccuracy]]:
        with self._session() as session:
            live = live_accuracy(session, self.window_days)
        return champions(self.registry), live

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
