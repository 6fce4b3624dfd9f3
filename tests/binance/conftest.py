"""Fixtures for the Binance library tests: real samples, a simulated mirror, a loopback server."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from binance_assets.binance.simulator import simulate_mirror

SIM_DAY = date(2025, 1, 1)
SIM_SYMBOL = "BTCUSDT"


@pytest.fixture(scope="session")
def sim_mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small read-only simulated mirror: BTCUSDT and ETHUSDT, 2024-12-31 and 2025-01-01."""
    root = tmp_path_factory.mktemp("mirror")
    simulate_mirror(root, ["BTCUSDT", "ETHUSDT"], date(2024, 12, 31), 2, trades_per_day=3000)
    return root


class _Handler(BaseHTTPRequestHandler):
    """Routes `/<prefix>/<relative path>`: mode ok (files), 429once, or 500."""

    server: _Server

    def do_GET(self) -> None:
        prefix, _, rest = self.path.lstrip("/").partition("/")
        self.server.hits[self.path] += 1
        route = self.server.routes.get(prefix)
        if route is None:
            self._send(404, b"no route")
            return
        root, mode = route
        if mode == "500":
            self._send(500, b"boom")
            return
        if mode == "429once" and self.server.hits[self.path] == 1:
            self._send(429, b"slow down", {"Retry-After": "0"})
            return
        target = root / rest
        if not target.is_file():
            self._send(404, b"<Error><Code>NoSuchKey</Code></Error>")
            return
        self._send(200, target.read_bytes(), {"Content-Type": "application/zip"})

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, tuple[Path, str]] = {}
        self.hits: Counter[str] = Counter()

    def route(self, prefix: str, root: Path, mode: str = "ok") -> str:
        """Serve `root` under /prefix with `mode`; returns the base URL."""
        self.routes[prefix] = (root, mode)
        return f"http://127.0.0.1:{self.server_address[1]}/{prefix}"


@pytest.fixture(scope="session")
def http_server() -> Iterator[_Server]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
