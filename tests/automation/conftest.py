"""Fixtures for the automation tests: a tiny simulated mirror, moto's S3 server and an HTTP server, all on
loopback. Helpers that tests call come as fixtures (`upload_mirror`): with --import-mode=importlib and
`pythonpath = tests`, `import conftest` would find tests/conftest.py, not this file."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from binance_assets.binance.simulator import simulate_mirror

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
START = dt.date(2025, 1, 1)
DAYS = 2
SEED = 7
TRADES_PER_DAY = 200


def simulate(root: Path, start: dt.date = START, days: int = DAYS, symbols: list[str] | None = None) -> list[Path]:
    return simulate_mirror(root, symbols or SYMBOLS, start, days, seed=SEED, trades_per_day=TRADES_PER_DAY)


def mirror_files(root: Path) -> list[str]:
    """Relative paths of every file under root, zips before their checksums (the order writers use)."""
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return sorted(files, key=lambda rel: (rel.removesuffix(".CHECKSUM"), rel.endswith(".CHECKSUM")))


@pytest.fixture(scope="session")
def pristine_mirror(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pristine_mirror")
    simulate(out)
    return out


@pytest.fixture
def mirror(pristine_mirror, tmp_path) -> Path:
    """A private copy of the 2 symbols x 2 days mirror (12 archives), written just now."""
    copy = tmp_path / "mirror"
    shutil.copytree(pristine_mirror, copy, copy_function=shutil.copyfile)
    return copy


@pytest.fixture(scope="session")
def extra_day(tmp_path_factory) -> Path:
    """A mirror holding only the third day (START + 2) of both symbols, to copy from."""
    out = tmp_path_factory.mktemp("extra_day")
    simulate(out, START + dt.timedelta(days=2), 1)
    return out


# --- S3 (moto server on loopback: tests/conftest.py) ---------------------------------------------------


@pytest.fixture
def bucket(s3_client) -> str:
    name = f"landing-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def upload_mirror(s3_client, bucket):
    """upload(root, prefix, rels=None): put files of a local mirror under s3://bucket/prefix (zip first)."""

    def upload(root: Path, prefix: str, rels: list[str] | None = None) -> None:
        for rel in rels if rels is not None else mirror_files(root):
            key = f"{prefix.strip('/')}/{rel}" if prefix.strip("/") else rel
            s3_client.put_object(Bucket=bucket, Key=key, Body=(root / rel).read_bytes())

    return upload


# --- HTTP (a loopback data.binance.vision) -----------------------------------------------------------------


class MirrorHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a mirror folder. `/status/<code>/...` answers <code>; `/flaky/<n>/...` answers 503 n times per
    path, then serves the rest of the path; `/nohead/...` answers 405 to HEAD. Hits are counted per path."""

    hits: dict[str, int]
    lock = threading.Lock()

    def log_message(self, format, *args) -> None:  # quiet
        pass

    def _count(self) -> int:
        with self.lock:
            self.hits[self.path] = self.hits.get(self.path, 0) + 1
            return self.hits[self.path]

    def _route(self) -> bool:
        """True if answered here; otherwise self.path is rewritten to the mirror path to serve."""
        n = self._count()
        parts = self.path.split("/", 3)
        if len(parts) > 3 and parts[1] == "status":
            self.send_response(int(parts[2]))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if len(parts) > 3 and parts[1] == "flaky":
            if n <= int(parts[2]):
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return True
            self.path = "/" + parts[3]
        return False

    def do_HEAD(self) -> None:
        if self.path.startswith("/nohead/"):
            self._count()
            self.send_response(405)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not self._route():
            super().do_HEAD()

    def do_GET(self) -> None:
        if self.path.startswith("/nohead/"):
            self._count()
            self.path = self.path.removeprefix("/nohead")
            super().do_GET()
            return
        if not self._route():
            super().do_GET()


@pytest.fixture
def http_mirror(mirror) -> Iterator[tuple[str, dict[str, int]]]:
    """(base URL, hit counts) of an HTTP server on loopback serving the `mirror` folder."""
    hits: dict[str, int] = {}
    handler = type("Handler", (MirrorHandler,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(mirror)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- Dagster ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dagster_instance():
    """One real (temporary, SQLite) instance for the sensor tests: a fresh one costs ~1 s each."""
    import dagster as dg

    with dg.instance_for_test() as instance:
        yield instance
