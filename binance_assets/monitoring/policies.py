"""The freshness policies the code locations declare (binance_assets/automation/freshness.py), read
from the workspace as the webserver and the freshness daemon see them, so the freshness-lag alert
compares each asset with its own policy and nothing repeats the limits."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FreshnessWindow:
    fail_seconds: float
    warn_seconds: float | None


def windows_from_asset_graph(asset_graph) -> dict[str, FreshnessWindow]:
    """Time-window freshness policies per asset key of a (remote) asset graph; other policies are skipped."""
    from dagster._core.definitions.freshness import TimeWindowFreshnessPolicy

    out = {}
    for node in asset_graph.asset_nodes:
        policy = node.freshness_policy
        if isinstance(policy, TimeWindowFreshnessPolicy):
            warn = policy.warn_window.to_timedelta().total_seconds() if policy.warn_window else None
            out[node.key.to_user_string()] = FreshnessWindow(policy.fail_window.to_timedelta().total_seconds(), warn)
    return out


def load_workspace_windows(instance: dg.DagsterInstance, workspace: Path) -> dict[str, FreshnessWindow]:
    """Load the workspace file's code locations (gRPC servers in prod, or started from the file) and read
    their freshness policies. A location that fails to load is logged and contributes nothing."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget

    with WorkspaceProcessContext(instance, WorkspaceFileTarget([str(workspace)])) as process:
        context = process.create_request_context()
        for error in context.code_location_errors():
            log.warning("a code location did not load: %s", error.message)
        return windows_from_asset_graph(context.asset_graph)


class WindowsRefresher:
    """Loads the workspace's windows in a background thread now and every `interval` seconds (loading
    code locations from a file starts code servers: seconds, too slow for a scrape); `get()` returns the
    last windows loaded, `{}` before the first load ends or when no load ever succeeded."""

    def __init__(self, load, interval: float = 600.0) -> None:
        self.load, self.interval = load, interval
        self._windows: dict[str, FreshnessWindow] = {}
        self._stop = threading.Event()
        self.loaded = threading.Event()
        self.thread = threading.Thread(target=self._run, name="freshness-policies", daemon=True)

    def start(self) -> WindowsRefresher:
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._windows = self.load()
                self.loaded.set()
            except Exception:  # a code location down: keep the last windows, retry later
                log.exception("loading the freshness policies failed")
            self._stop.wait(self.interval)

    def get(self) -> dict[str, FreshnessWindow]:
        return self._windows

    def stop(self) -> None:
        self._stop.set()
