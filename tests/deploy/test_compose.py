"""deploy/compose/docker-compose.yml: valid Compose, and wired as the images and the Dagster configs expect.

No Docker engine (nor the compose plugin) here: the file is validated against the Compose Specification's JSON
schema as check-jsonschema vendors it (`vendor.compose-spec`), and its wiring is checked against the
Dockerfile, the workspace files and the monitoring configs it mounts.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from support.dockerfile import ROOT, stages

COMPOSE = ROOT / "deploy" / "compose" / "docker-compose.yml"
WORKSPACE_PROD = ROOT / "deploy" / "dagster" / "workspace.prod.yaml"
PROMETHEUS = ROOT / "deploy" / "monitoring" / "prometheus" / "prometheus.yml"
REQUIRED = {"postgres", "redis", "dagster-webserver", "dagster-daemon", "code-market-data", "code-ml", "api",
            "dagster-exporter", "prometheus", "grafana"}


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@functools.cache
def compose_validator():
    schema = json.loads(
        (importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json").read_text())
    return jsonschema.validators.validator_for(schema)(schema)  # the draft the schema names (2020-12)


def schema_errors(document: dict) -> list[str]:
    validator = compose_validator()
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_the_file_is_valid_compose():
    assert schema_errors(compose()) == []


@pytest.mark.parametrize("mistake", [
    lambda c: c["services"]["api"].update(healthchek={"test": ["CMD", "true"]}),  # misspelled key
    lambda c: c["services"]["dagster-webserver"]["depends_on"]["code-ml"].update(condition="service_ready"),
    lambda c: c["services"]["redis"].update(ports="6379"),  # a string where a list belongs
])
def test_the_schema_rejects_the_mistakes(mistake):
    broken = copy.deepcopy(compose())
    mistake(broken)
    assert schema_errors(broken)


def test_every_service_has_a_healthcheck_and_waits_for_healthy_dependencies():
    services = compose()["services"]
    assert REQUIRED <= set(services)
    targets = stages()
    for name, service in services.items():
        target = (service.get("build") or {}).get("target")
        own = service.get("healthcheck")
        assert own or (target and targets[target].healthcheck), f"{name} has no healthcheck (its own or its image's)"
        if target:
            assert service["image"] == f"binance-merchant-platform/{target}:local"
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert condition["condition"] in {"service_healthy", "service_started"}
    for name in ("dagster-webserver", "dagster-daemon"):
        depends = services[name]["depends_on"]
        assert {k for k, v in depends.items() if v["condition"] == "service_healthy"} >= {
            "postgres", "code-market-data", "code-ml"}


def test_code_servers_run_the_image_command_for_each_workspace_location():
    services, code = compose()["services"], stages()["code-location"]
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())["load_from"]
    module_of = {e["python_module"]["location_name"]: e["python_module"]["module_name"] for e in workspace}
    prod = yaml.safe_load(WORKSPACE_PROD.read_text())["load_from"]
    host_env = {e["grpc_server"]["location_name"]: e["grpc_server"]["host"]["env"] for e in prod}
    assert set(host_env) == set(module_of)  # the prod workspace serves the locations `make dev` loads
    assert {e["grpc_server"]["port"] for e in prod} == set(code.expose)
    dagster_env = services["dagster-webserver"]["environment"]
    for location, env_name in host_env.items():
        service = services[dagster_env[env_name]]  # compose names the code server by its service name
        assert service["build"]["target"] == "code-location"
        expected = [module_of[location] if w == "binance_assets.definitions" else w for w in code.cmd]
        assert service["command"] == expected, location


def test_secrets_are_interpolated_and_ports_bound_to_loopback():
    services = compose()["services"]
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "SECRET", "TOKEN")):
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", str(value)), f"{name}.{key} must be ${{VAR:?...}}"
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_mounted_files_exist_and_prometheus_scrapes_compose_services():
    services = compose()["services"]
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).resolve().exists(), f"{name} mounts missing {source}"
    scraped = {t for job in yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"]
               for sc in job.get("static_configs", []) for t in sc["targets"]}
    exposed = {"api": stages()["api"].expose[0], "dagster-exporter": 9108}
    assert scraped == {f"{name}:{port}" for name, port in exposed.items()}
    assert "--port" in services["dagster-exporter"]["command"] and "9108" in services["dagster-exporter"]["command"]


def test_compose_mounts_the_compose_instance_config():
    services = compose()["services"]
    for name in ("dagster-webserver", "dagster-daemon", "dagster-exporter", "code-market-data", "code-ml"):
        mounts = {v.split(":")[1]: v.split(":")[0] for v in services[name]["volumes"]}
        home = services[name]["environment"]["DAGSTER_HOME"]
        assert Path(COMPOSE.parent / mounts[f"{home}/dagster.yaml"]).resolve() == ROOT / "deploy/dagster/compose.yaml"
