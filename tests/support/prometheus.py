"""Debian's Prometheus tools for the monitoring tests: `promtool`/`prometheus` from PATH (apt-get install
prometheus; `make tools` installs it), failing instead of skipping under CI=true; a Prometheus server on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "deploy" / "monitoring"
PROMETHEUS_DIR = MONITORING / "prometheus"
DASHBOARDS_DIR = MONITORING / "grafana" / "dashboards"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = f"{name} not found (Debian: apt-get install -y prometheus)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true needs it", pytrace=False)
        pytest.skip(reason)
    return path


class PrometheusServer:
    """`prometheus` with `config` (YAML text) and a temp TSDB, on 127.0.0.1:`port`, until `stop()`."""

    def __init__(self, config: str, work: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        (work / "prometheus.yml").write_text(config)
        self.log = (work / "prometheus.log").open("w")
        self.process = subprocess.Popen(
            [tool("prometheus"), f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )

    def get(self, path: str, **params) -> dict:
        """The `data` of a successful API answer; an AssertionError (which `wait` retries) for anything else,
        such as the 503 "Service Unavailable" Prometheus answers until its TSDB is open."""
        response = requests.get(f"{self.url}{path}", params=params, timeout=5)
        assert response.status_code == 200, (path, params, response.status_code, response.text[:300])
        body = response.json()
        assert body["status"] == "success", (path, params, body)
        return body["data"]

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until `/-/ready` answers 200: the TSDB is open, the rules are loaded and the API answers."""

        def ready():
            response = requests.get(f"{self.url}/-/ready", timeout=5)
            assert response.status_code == 200, (response.status_code, response.text[:200])
            return True

        self.wait(ready, "prometheus ready", timeout)

    def wait(self, predicate, what: str, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                last = predicate()
                if last:
                    return last
            except (requests.ConnectionError, AssertionError) as exc:
                last = exc
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}: {last!r}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
