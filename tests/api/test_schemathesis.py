"""A bounded schemathesis run against the OpenAPI schema, over real HTTP (uvicorn on loopback):
no 5xx, every status code documented, every response body matching its schema."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.xdist_group("api")
MAX_EXAMPLES = 8  # per operation: bounded so the whole run stays ~15 s on 2 cores


@pytest.fixture(scope="module")
def fuzz_server(api_warehouse, redis_url, redis_prefix, tmp_path_factory, make_config):
    from support.live_server import LiveServer

    from binance_api.main import create_app

    config = make_config(api_warehouse, tmp_path_factory.mktemp("fuzz"), redis_url=redis_url,
                         redis_prefix=f"{redis_prefix}:fuzz", weight_limit_1m=10_000_000)
    app = create_app(config)
    with LiveServer(app) as server:
        yield server.url, config


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    url, _ = fuzz_server
    return schemathesis.openapi.from_url(f"{url}/openapi.json")


@pytest.fixture(scope="module")
def bearer(fuzz_server):
    from binance_api.core.security import mint_token

    _, config = fuzz_server
    return {"Authorization": "Bearer " + mint_token(config, "fuzzer", ["market_data", "predictions", "admin"],
                                                     dt.timedelta(hours=1))}


def test_api_conforms_to_its_schema(api_schema, bearer):
    # Driven by hand (schemathesis' lazy pytest loader does not run on this pytest): one bounded
    # hypothesis run per operation, every failure collected.
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                  derandomize=True, phases=[Phase.explicit, Phase.generate])
        def run(case):
            case.call_and_validate(headers=bearer, checks=checks, timeout=30)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 15
    assert not failures, "\n\n".join(failures)
