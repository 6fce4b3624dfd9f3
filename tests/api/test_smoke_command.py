"""`binance-assets smoke` (the post-deploy smoke test of deploy.yml and the Jenkinsfile): passes against the
API served by uvicorn, fails with a message naming the URL and the reason against a server answering 500,
against a dead port, and when the warehouse lacks the asked symbol."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from support.network import free_port
from typer.testing import CliRunner

from binance_assets.cli import app

pytestmark = pytest.mark.xdist_group("api")


def _smoke(*args: str):
    return CliRunner().invoke(app, ["smoke", *args])


def test_smoke_passes_against_the_live_api(live_url):
    result = _smoke("--base-url", live_url, "--attempts", "1")
    assert result.exit_code == 0, result.output
    out = result.output
    steps = ("health/ready", "api/v3/ping", "api/v3/exchangeInfo: 2 symbol(s)", "api/v3/klines: 5 klines of BTCUSDT")
    for step in steps:
        assert f"ok   {step}" in out, out
    assert f"smoke test passed: {live_url}" in out


def test_smoke_fails_for_a_symbol_the_warehouse_lacks(live_url):
    result = _smoke("--base-url", live_url, "--symbol", "DOGEUSDT", "--attempts", "1")
    assert result.exit_code == 1
    assert "smoke test FAILED: DOGEUSDT is not in /api/v3/exchangeInfo (BTCUSDT, ETHUSDT)" in result.output


@pytest.fixture
def failing_server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(500)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"upstream exploded")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_smoke_fails_against_a_server_answering_500(failing_server):
    result = _smoke("--base-url", failing_server, "--attempts", "2", "--wait-seconds", "0.1")
    assert result.exit_code == 1
    assert (f"smoke test FAILED: GET {failing_server}/health/ready failed after 2 attempt(s): "
            "HTTP 500: upstream exploded") in result.output


def test_smoke_fails_against_a_dead_port():
    url = f"http://127.0.0.1:{free_port()}"
    result = _smoke("--base-url", url, "--attempts", "1")
    assert result.exit_code == 1
    assert f"smoke test FAILED: GET {url}/health/ready failed after 1 attempt(s): ConnectError" in result.output
