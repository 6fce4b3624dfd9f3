"""The Dagster UI at scale, for benchmarks/scale.py: a raw asset's page and its partition view in Chromium.

`dagster-webserver -w workspace.yaml` on the benchmark's instance (its code servers as the webserver starts
them); once both code locations are loaded, Debian's chromium under Playwright (as
tests/dashboard/test_dashboard_browser.py drives it: never a downloaded browser) opens the locations page
once (the app's scripts into the browser's cache, the community dialog dismissed), then, timed:
- the asset page: `/assets/<raw asset>` until its latest materialization is shown (the overview's status);
- the partition view: a click on its Partitions tab until the partition counts show the materialized
  partitions of the recorded history (`Materialized (N)`, N the events recorded for that asset).
A view not rendered within the bound is reported as None (the figure is `>bound`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from _measure import Stopwatch, write_result

CHROMIUM = os.environ.get("BINANCE_ASSETS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOCATIONS_QUERY = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "\
                  "locationOrLoadError { __typename ... on PythonError { message } } } } } }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_loaded(base: str, proc: subprocess.Popen, timeout: float) -> None:
    """Until every code location of the webserver's workspace is loaded; fails on a load error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dagster-webserver exited ({proc.returncode})")
        with contextlib.suppress(OSError, ValueError):
            req = urllib.request.Request(f"{base}/graphql", data=json.dumps({"query": LOCATIONS_QUERY}).encode(),
                                         headers={"Content-Type": "application/json"})
            entries = json.loads(urllib.request.urlopen(req, timeout=10).read())["data"]["workspaceOrError"][
                "locationEntries"]
            errors = [e for e in entries if e["locationOrLoadError"]
                      and e["locationOrLoadError"]["__typename"] == "PythonError"]
            if errors:
                raise RuntimeError(f"code location failed to load: {errors}")
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return
        time.sleep(1)
    raise TimeoutError(f"code locations not loaded after {timeout:.0f} s")


def worker_ui(spec: dict[str, Any], result: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"no chromium at {CHROMIUM}: install Debian's (`make tools`), set "
                                f"BINANCE_ASSETS_TEST_CHROMIUM, or pass --skip-ui")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    bound_ms = spec["bound"] * 1000
    with Path(spec["log"]).open("ab") as log:
        web = subprocess.Popen([str(Path(sys.executable).parent / "dagster-webserver"), "-w", spec["workspace"],
                                "-h", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_loaded(base, web, timeout=600)
        asset_path = "/".join(spec["asset"])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/locations")
            page.get_by_text(spec["location"]).first.wait_for(timeout=bound_ms)
            with contextlib.suppress(PlaywrightTimeout):
                page.get_by_role("button", name="Skip").click(timeout=5000)
            seconds: dict[str, float | None] = {}
            with Stopwatch() as asset_watch:
                try:
                    page.goto(f"{base}/assets/{asset_path}")
                    page.locator('a[href*="?view=events&time="]').first.wait_for(timeout=bound_ms)
                except PlaywrightTimeout:
                    pass
            seconds["asset_page"] = asset_watch.seconds if asset_watch.seconds < spec["bound"] else None
            materialized = re.compile(rf"Materialized \({spec['materialized']:,}\)|"
                                      rf"Materialized \({spec['materialized']}\)")
            with Stopwatch() as partitions_watch:
                try:
                    page.get_by_role("tab", name="Partitions").click(timeout=bound_ms)
                    page.get_by_text(materialized).first.wait_for(timeout=bound_ms)
                except PlaywrightTimeout:
                    pass
            seconds["partitions"] = partitions_watch.seconds if partitions_watch.seconds < spec["bound"] else None
            if spec.get("screenshot"):
                page.screenshot(path=spec["screenshot"])
            browser.close()
    finally:
        web.send_signal(signal.SIGINT)
        try:
            web.wait(timeout=30)
        except subprocess.TimeoutExpired:
            web.kill()
            web.wait()
    write_result(result, rows=spec["materialized"], seconds=sum(s or 0 for s in seconds.values()), **seconds)
