"""dbt inside the step's process answers as the `dbt` subprocess dagster-dbt would start: same exit
status, same events, and the process's environment and working directory are left as they were."""

from __future__ import annotations

import os
from importlib.metadata import version
from pathlib import Path
from unittest import mock

import pytest

from binance_assets.transform.dbt_inprocess import InProcessDbtProcess
from binance_assets.transform.dbt_resource import ProjectDbtCliResource, dbt_cli_resource
from binance_assets.transform.dbt_vars import dbt_env


def _invoke(resource: ProjectDbtCliResource, args: list[str], target: Path, env: dict[str, str]):
    with mock.patch.dict(os.environ, env):
        invocation = resource.cli(args, manifest=None, raise_on_error=False, target_path=target)
        events = [event.raw_event for event in invocation.stream_raw_events()]
    return invocation, events


@pytest.fixture
def profile_env(tmp_path) -> dict[str, str]:
    return dbt_env("local", duckdb_path=str(tmp_path / "w.duckdb"))


def test_dbt_version_is_read_without_starting_dbt():
    resource = dbt_cli_resource("local")
    with mock.patch("dagster_dbt.core.resource.check_output", side_effect=AssertionError("dbt --version started")):
        assert str(resource._cli_version) == version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_in_process_list_equals_the_subprocess_list(tmp_path, profile_env):
    args = ["ls", "--resource-type", "model", "--exclude", "tag:merchant", "--output", "name"]
    listed = {}
    for in_process in (True, False):
        resource = dbt_cli_resource("local", in_process=in_process)
        cwd, environ = os.getcwd(), dict(os.environ)
        invocation, events = _invoke(resource, args, tmp_path / str(in_process), profile_env)
        assert invocation.process.wait() == 0 and invocation.get_error() is None
        assert isinstance(invocation.process, InProcessDbtProcess) == in_process
        assert (os.getcwd(), dict(os.environ)) == (cwd, environ)
        listed[in_process] = sorted(e["info"]["msg"] for e in events if e["info"]["name"] == "PrintEvent")
    assert "fct_bars_1m" in listed[True]
    assert listed[True] == listed[False]


def test_a_failing_command_fails_the_same_way(tmp_path, profile_env):
    failures = {}
    for in_process in (True, False):
        resource = dbt_cli_resource("local", in_process=in_process)
        invocation, _ = _invoke(resource, ["run-operation", "no_such_macro"], tmp_path / str(in_process),
                                     profile_env)
        error = invocation.get_error()
        assert error is not None
        failures[in_process] = (invocation.process.wait() != 0, "no_such_macro" in str(error))
    assert failures[True] == failures[False] == (True, True)
