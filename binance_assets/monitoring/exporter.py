"""`binance-assets exporter`: serves `/metrics` for Prometheus from the Dagster instance of
DAGSTER_HOME (the same dagster.yaml the webserver and daemon use), the workspace's freshness policies
and the configured model registry and warehouse."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from prometheus_client import CollectorRegistry, start_http_server

from binance_assets.monitoring.collector import DagsterCollector
from binance_assets.monitoring.instance_state import read_instance
from binance_assets.monitoring.policies import WindowsRefresher, load_workspace_windows

log = logging.getLogger(__name__)


@dataclass
class Exporter:
    registry: CollectorRegistry
    collector: DagsterCollector
    server: object
    thread: threading.Thread
    port: int

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def build_collector(instance: dg.DagsterInstance, *, read_windows=None, settings=None, models: bool = True,
                    cache_seconds: float = 10.0, accuracy_window_days: float = 7.0) -> DagsterCollector:
    """`read_windows`: the freshness windows (e.g. `WindowsRefresher.get`); models from `settings`."""
    read_models = None
    if models:
        from binance_assets.monitoring.models import ModelReader
        from binance_assets.settings import get_settings

        reader = ModelReader(settings or get_settings(), accuracy_window_days)
        read_models = reader.read
    return DagsterCollector(lambda: read_instance(instance), read_windows=read_windows, read_models=read_models,
                            cache_seconds=cache_seconds)


def serve(collector: DagsterCollector, port: int, host: str = "0.0.0.0") -> Exporter:  # nosec B104 - a container port
    """Start the HTTP server (a daemon thread) for `/metrics`; port 0 picks a free one."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    server, thread = start_http_server(port, addr=host, registry=registry)
    return Exporter(registry, collector, server, thread, server.server_address[1])


def default_workspace() -> Path | None:
    """`workspace.yaml` of the working directory (the dagster image's app folder), if there is one."""
    path = Path("workspace.yaml")
    return path if path.exists() else None


def run(port: int, host: str, workspace: Path | None, cache_seconds: float, models: bool,
        accuracy_window_days: float) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    instance = dg.DagsterInstance.get()
    refresher = WindowsRefresher(lambda: load_workspace_windows(instance, workspace)).start() if workspace else None
    collector = build_collector(instance, read_windows=refresher.get if refresher else None, models=models,
                                cache_seconds=cache_seconds, accuracy_window_days=accuracy_window_days)
    exporter = serve(collector, port, host)
    log.info("serving Dagster metrics on http://%s:%d/metrics (workspace %s)", host, exporter.port, workspace)
    try:
        threading.Event().wait()
    finally:
        exporter.close()
        if refresher:
            refresher.stop()
