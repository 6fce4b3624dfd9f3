"""/health/ready is unauthenticated: its body names the failed dependency and nothing of the error itself
(paths, hosts, users); the error goes to the server's log."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

pytestmark = pytest.mark.xdist_group("api")


def test_ready_names_the_failed_dependencies_and_logs_the_error(tmp_path, make_config, caplog):
    from fastapi.testclient import TestClient
    from support.network import free_port

    from binance_api.main import create_app

    missing = tmp_path / "nowhere" / "warehouse.duckdb"  # no warehouse file: nothing was ever published
    dead_port = free_port()  # nothing listens there
    config = make_config(SimpleNamespace(path=missing), tmp_path / "data",
                         redis_url=f"redis://127.0.0.1:{dead_port}/0", redis_prefix="unused")
    caplog.set_level(logging.WARNING, logger="binance_api.health")
    with TestClient(create_app(config)) as client:
        r = client.get("/health/ready")
    assert r.status_code == 503
    # Nothing of the errors reaches the unauthenticated caller: not the path, not the exception, not the port.
    for leak in (str(missing), "nowhere", "no warehouse", "Error", "Connect", str(dead_port)):
        assert leak not in r.text, leak
    body = r.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["warehouse", "redis"]
    assert body["checks"]["warehouse"] == {"status": "unavailable"}
    assert body["checks"]["redis"] == {"status": "unavailable"}
    # ... but the server's log says what failed and why.
    logged = [rec.getMessage() for rec in caplog.records if rec.name == "binance_api.health"]
    expected = f"readiness: the warehouse is unavailable: WarehouseUnavailable: no warehouse at {missing} "
    assert any(m.startswith(expected) for m in logged), logged
    assert any(m.startswith("readiness: Redis is unavailable: ") and "Error" in m for m in logged), logged


def test_ready_when_all_is_well_names_nothing(client):
    body = client.get("/health/ready").json()
    assert body["failed"] == []
    assert body["checks"]["warehouse"]["status"] == "ok" and body["checks"]["redis"]["status"] == "ok"


def test_failure_detail_cuts_passwords_out():
    from binance_api.services.health import failure_detail

    url_error = RuntimeError('could not reach postgresql://svc:s3cr%2Ft@db.internal:5432/binance\n(timeout)')
    assert failure_detail(url_error) == (
        "RuntimeError: could not reach postgresql://svc:***@db.internal:5432/binance (timeout)"
    )
    kv_error = ValueError("bad conninfo: host=db user=svc password='p w' dbname=binance")
    assert failure_detail(kv_error) == "ValueError: bad conninfo: host=db user=svc password=*** dbname=binance"
