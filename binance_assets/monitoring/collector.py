"""A prometheus-client Collector that reads the Dagster instance (and the models) when scraped, at most
once per `cache_seconds`: scrapes in between get the same families, so several Prometheus servers or a
short scrape interval cost the instance nothing more. A failed read is reported (`dagster_exporter_up 0`
and the error count) instead of failing the scrape."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from binance_assets.monitoring.instance_state import TERMINAL_STATUSES, InstanceState
from binance_assets.monitoring.models import ChampionState, LiveAccuracy
from binance_assets.monitoring.policies import FreshnessWindow

log = logging.getLogger(__name__)

DRIFT_CHECK = "feature_drift"  # binance_assets/ml/checks.py
FRESHNESS_STATES = ("PASS", "WARN", "FAIL", "UNKNOWN")


def instance_families(state: InstanceState, windows: dict[str, FreshnessWindow], now: float) -> list:
    runs = GaugeMetricFamily("dagster_runs", "Runs in the instance by job and status", labels=["dagster_job", "status"])
    finished = CounterMetricFamily("dagster_runs_finished", "Runs that ended, by job and terminal status",
                                   labels=["dagster_job", "status"])
    for (job, status), n in sorted(state.runs.items()):
        runs.add_metric([job, status], n)
        if status in TERMINAL_STATUSES:
            finished.add_metric([job, status], n)
    ts = GaugeMetricFamily("dagster_asset_last_materialization_timestamp_seconds",
                           "Unix time of the asset's latest materialization", labels=["asset_key"])
    age = GaugeMetricFamily("dagster_asset_last_materialization_age_seconds",
                            "Seconds since the asset's latest materialization", labels=["asset_key"])
    for key, when in sorted(state.last_materialization.items()):
        ts.add_metric([key], when)
        age.add_metric([key], max(0.0, now - when))
    fail = GaugeMetricFamily("dagster_asset_freshness_fail_window_seconds",
                             "The asset's freshness policy: fail when older than this", labels=["asset_key"])
    warn = GaugeMetricFamily("dagster_asset_freshness_warn_window_seconds",
                             "The asset's freshness policy: warn when older than this", labels=["asset_key"])
    for key, window in sorted(windows.items()):
        fail.add_metric([key], window.fail_seconds)
        if window.warn_seconds is not None:
            warn.add_metric([key], window.warn_seconds)
    fresh = GaugeMetricFamily("dagster_asset_freshness_state",
                              "The freshness daemon's state of the asset (1 = current)", labels=["asset_key", "state"])
    for key, current in sorted(state.freshness_states.items()):
        for name in FRESHNESS_STATES:
            fresh.add_metric([key, name], 1.0 if current == name else 0.0)
    return [runs, finished, ts, age, fail, warn, fresh, *check_families(state), heartbeat_family(state, now)]


def check_families(state: InstanceState) -> list:
    failed = GaugeMetricFamily("dagster_asset_check_failed", "1 if the check's latest evaluation failed",
                               labels=["asset_key", "check", "severity"])
    when = GaugeMetricFamily("dagster_asset_check_last_evaluation_timestamp_seconds",
                             "Unix time of the check's latest evaluation", labels=["asset_key", "check"])
    psi = GaugeMetricFamily("binance_model_feature_drift_psi_max",
                            "Largest feature PSI of the latest feature_drift evaluation", labels=["asset_key"])
    for check in state.checks:
        failed.add_metric([check.asset_key, check.check, check.severity], 1.0 if check.failed else 0.0)
        when.add_metric([check.asset_key, check.check], check.timestamp)
        if check.check == DRIFT_CHECK and isinstance(check.metadata.get("max_psi"), (int, float)):
            psi.add_metric([check.asset_key], float(check.metadata["max_psi"]))
    return [failed, when, psi]


def heartbeat_family(state: InstanceState, now: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily("dagster_daemon_heartbeat_age_seconds", "Seconds since the daemon's last heartbeat",
                               labels=["daemon_type"])
    for daemon, when in sorted(state.heartbeats.items()):
        family.add_metric([daemon], max(0.0, now - when))
    return family


def model_families(champions: list[ChampionState], live: list[LiveAccuracy]) -> list:
    offline = GaugeMetricFamily("binance_model_offline_metric", "The champion's walk-forward primary metric",
                                labels=["model", "version", "metric"])
    baseline = GaugeMetricFamily("binance_model_baseline_accuracy",
                                 "Accuracy of the champion's baseline on its walk-forward folds (classifiers)",
                                 labels=["model", "version"])
    live_baseline = GaugeMetricFamily("binance_model_live_baseline_accuracy",
                                      "Accuracy of the champion's naive baseline (its training window's majority "
                                      "class) on the same out-of-sample outcomes as binance_model_live_accuracy",
                                      labels=["model", "version"])
    for champ in champions:
        if champ.live_baseline_value is not None:
            live_baseline.add_metric([champ.model, champ.version], champ.live_baseline_value)
        if champ.offline_value is not None:
            offline.add_metric([champ.model, champ.version, champ.primary_metric], champ.offline_value)
        if champ.primary_metric == "accuracy" and champ.baseline_value is not None:
            baseline.add_metric([champ.model, champ.version], champ.baseline_value)
    accuracy = GaugeMetricFamily("binance_model_live_accuracy",
                                 "Realised hit rate of the out-of-sample predictions over the latest scored days",
                                 labels=["model", "version"])
    mae = GaugeMetricFamily("binance_model_live_mae", "Realised MAE of the out-of-sample forward-return predictions",
                            labels=["model", "version"])
    realised = GaugeMetricFamily("binance_model_live_realised_predictions",
                                 "Out-of-sample predictions with a known outcome over the latest scored days",
                                 labels=["model", "version"])
    in_sample = GaugeMetricFamily("binance_model_live_in_sample_predictions",
                                  "Predictions over the latest scored days scored by a model trained on their day: "
                                  "left out of the live accuracy, MAE and realised counts",
                                  labels=["model", "version"])
    for row in live:
        realised.add_metric([row.model, row.version], row.realised)
        in_sample.add_metric([row.model, row.version], row.in_sample)
        if row.hit_rate is not None:
            accuracy.add_metric([row.model, row.version], row.hit_rate)
        if row.mae is not None:
            mae.add_metric([row.model, row.version], row.mae)
    return [offline, baseline, live_baseline, accuracy, mae, realised, in_sample]


class DagsterCollector(Collector):
    """`read_instance()` -> InstanceState, `read_windows()` -> freshness windows (cheap: the exporter
    refreshes them in the background, `policies.WindowsRefresher`), `read_models()` -> (champions, live
    accuracy). Each is called at most once per `cache_seconds`, whatever the number of scrapes."""

    def __init__(self, read_instance: Callable[[], InstanceState], *,
                 read_windows: Callable[[], dict[str, FreshnessWindow]] | None = None,
                 read_models: Callable[[], tuple[list, list]] | None = None,
                 cache_seconds: float = 10.0, clock=time.time) -> None:
        self.read_instance, self.read_windows, self.read_models = read_instance, read_windows, read_models
        self.cache_seconds, self.clock = cache_seconds, clock
        self._lock = threading.Lock()
        self._families: list = []
        self._read_at = float("-inf")
        self.errors = {"instance": 0, "windows": 0, "models": 0}
        self.reads = 0

    def collect(self):
        with self._lock:
            if self.clock() - self._read_at >= self.cache_seconds:
                self._families = self._read()
                self._read_at = self.clock()
            return list(self._families)

    def _read(self) -> list:
        started = time.perf_counter()
        self.reads += 1
        families, up = [], 1.0
        windows: dict[str, FreshnessWindow] = {}
        if self.read_windows is not None:
            try:
                windows = self.read_windows()
            except Exception as exc:  # a code location down must not stop the other metrics
                log.warning("reading the freshness policies failed: %s: %s", type(exc).__name__, exc)
                self.errors["windows"] += 1
        try:
            families += instance_families(self.read_instance(), windows, self.clock())
        except Exception:  # reported as dagster_exporter_up 0
            log.exception("reading the Dagster instance failed")
            self.errors["instance"] += 1
            up = 0.0
        if self.read_models is not None:
            try:
                families += model_families(*self.read_models())
            except Exception as exc:  # the models' metrics are absent, the rest is served (e.g. no warehouse yet)
                log.warning("reading the models failed: %s: %s", type(exc).__name__, exc)
                self.errors["models"] += 1
        families.append(GaugeMetricFamily("dagster_exporter_up", "1 if the last read of the instance succeeded",
                                          value=up))
        errors = CounterMetricFamily("dagster_exporter_read_errors", "Failed reads by source", labels=["source"])
        for source, n in self.errors.items():
            errors.add_metric([source], n)
        families.append(errors)
        families.append(GaugeMetricFamily("dagster_exporter_read_duration_seconds",
                                          "Seconds the last read took", value=time.perf_counter() - started))
        return families
