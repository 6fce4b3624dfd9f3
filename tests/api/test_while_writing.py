"""The API keeps answering while the pipeline writes the DuckDB file, never returns a torn read, and its
cache never serves data older than what the warehouse holds after a publish."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.xdist_group("api")
DAY2_MS = 1735776000000  # 2025-01-02


@pytest.fixture
def private_warehouse(api_warehouse, tmp_path):
    """A copy of the session warehouse (and its mirror) that this test may write."""
    from binance_assets.warehouse import DuckDBWarehouse

    with api_warehouse.lock():
        shutil.copyfile(api_warehouse.path, tmp_path / "warehouse.duckdb")
    return DuckDBWarehouse(tmp_path / "warehouse.duckdb"), api_warehouse.path.parent / "mirror"


@pytest.fixture
def private_client(private_warehouse, redis_url, redis_prefix, tmp_path, make_config):
    from fastapi.testclient import TestClient

    from binance_api.main import create_app

    wh, _ = private_warehouse
    config = make_config(wh, tmp_path / "data", redis_url=redis_url,
                         redis_prefix=f"{redis_prefix}:{tmp_path.name}", weight_limit_1m=1_000_000)
    app = create_app(config)
    with TestClient(app) as client:
        yield client, app


WRITER = """
import datetime as dt, sys
from pathlib import Path
sys.path[:0] = {paths!r}
from support.api_warehouse import load_raw, run_dbt
from binance_assets.warehouse import DuckDBWarehouse
wh = DuckDBWarehouse({path!r})
day = dt.date(2025, 1, 2)
for i in range({rounds}):
    load_raw(wh, Path({mirror!r}), Path({work!r}), ["BTCUSDT"], [day])
    run_dbt(wh, [(day, "BTCUSDT")])
    print("published", i, flush=True)
"""


def test_reads_continue_during_loads_and_dbt_builds(private_warehouse, private_client, tmp_path):
    client, app = private_client
    wh, mirror = private_warehouse
    params = {"symbol": "BTCUSDT", "interval": "1m", "startTime": DAY2_MS, "limit": 1000}
    baseline = client.get("/api/v3/klines", params=params).json()
    bars_params = {"start": "2025-01-02T00:00:00", "end": "2025-01-03T00:00:00", "limit": 5000}
    n_bars = len(baseline)
    assert n_bars > 100
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER.format(paths=sys.path, path=str(wh.path), mirror=str(mirror),
                                             work=str(tmp_path / "writer"), rounds=1)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    errors, reads, torn = [], [], []

    def reader(n: int) -> None:
        while writer.poll() is None:
            started = time.perf_counter()
            r = client.get("/api/v3/klines", params={**params, "limit": n_bars - 10 * n})
            reads.append(time.perf_counter() - started)
            if r.status_code != 200:
                errors.append((r.status_code, r.text[:200]))
            elif r.json() != baseline[: n_bars - 10 * n]:
                torn.append(len(r.json()))

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    out, err = writer.communicate(timeout=240)
    for t in threads:
        t.join(30)
    assert writer.returncode == 0, err[-2000:]
    assert out.count("published") == 1
    assert not errors and not torn, (errors[:3], torn[:3])
    assert len(reads) > 20 and max(reads) < 5.0  # never blocked behind a write
    reader_obj = app.state.services.reader
    assert reader_obj.refreshes >= 2  # the first snapshot, then the published state(s) after the writes
    # After the last publish the API serves the new state: the rebuilt bars, all of them.
    after = client.get("/api/v1/bars/BTCUSDT", params=bars_params, headers=_auth(app))
    expected = wh.query("SELECT count(*) AS n FROM marts.fct_bars_1m WHERE symbol = 'BTCUSDT' AND "
                        "trade_date = '2025-01-02'")["n"].iloc[0]
    assert len(after.json()["items"]) == expected


def _auth(app) -> dict:
    from binance_api.core.security import mint_token

    return {"Authorization": "Bearer " + mint_token(app.state.services.config, "t", ["market_data", "predictions"],
                                                     dt.timedelta(minutes=5))}


def test_cache_is_invalidated_by_a_publish(private_warehouse, private_client):
    from support.api_warehouse import write_predictions

    client, app = private_client
    wh, _ = private_warehouse
    headers = _auth(app)
    url = "/api/v1/predictions/ETHUSDT/latest"
    first = client.get(url, headers=headers).json()
    assert {p["model_version"] for p in first["items"]} == {"v1"}
    cache = app.state.services.cache
    hits = _counter(app, "hit")
    assert client.get(url, headers=headers).json() == first
    assert _counter(app, "hit") == hits + 1  # served from Redis
    assert cache.redis.keys(f"{cache.prefix}:cache:*")
    write_predictions(wh, ["ETHUSDT"], [dt.date(2025, 1, 2)], version="v2")  # the pipeline publishes
    second = client.get(url, headers=headers).json()
    assert {p["model_version"] for p in second["items"]} == {"v2"}


def _counter(app, result: str) -> float:
    from binance_api.services.cache import CACHE_REQUESTS

    return CACHE_REQUESTS.labels(result)._value.get()


def test_block_sliced_klines_stay_in_the_worker_and_aggregated_ones_go_to_redis(private_client):
    """1m klines from the block store cost less than a Redis round trip: kept in the worker's copy only;
    aggregated intervals are shared through Redis. Both answers equal the second request's."""
    client, app = private_client
    cache = app.state.services.cache
    assert app.state.services.blocks is not None  # DuckDB: the block store is on
    cache.redis.delete(*cache.redis.keys(f"{cache.prefix}:cache:*") or ["none"])
    minute = client.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m", "limit": 5})
    assert minute.status_code == 200 and len(minute.json()) == 5
    assert cache.redis.keys(f"{cache.prefix}:cache:*") == []
    hits = _counter(app, "hit")
    assert client.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m", "limit": 5}).json() \
        == minute.json()
    assert _counter(app, "hit") == hits + 1  # the worker's copy
    hour = client.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1h", "limit": 5})
    assert hour.status_code == 200 and len(hour.json()) == 5
    assert len(cache.redis.keys(f"{cache.prefix}:cache:*")) == 1
