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
from binance_assets.warehouse.dbt_profile import dbt_env


def _invoke(resource: ProjectDbtCliResource, args: list[str], target: Path, env: dict[str, str]):
    with mock.patch.dict(os.environ, env):
        invocation = resource.cli(args, manifest=None, raise_on_error=False, target_path=target)
        events = [event.raw_event for event in invocation.stream_raw_events()]
    return invocation, events


@pytest.fixture(scope="module")
def profile_env(tmp_path_factory) -> dict[str, str]:
    """One warehouse for the module: dbt's partial parse stays valid from one test's invocation to the next."""
    return dbt_env("local", duckdb_path=str(tmp_path_factory.mktemp("dbt-inprocess") / "w.duckdb"))


@pytest.fixture(scope="module")
def targets(tmp_path_factory) -> dict[bool, Path]:
    """dbt's target folder per way of running it (in process or not), shared by the module's tests: each way
    parses the project once and reuses its partial parse, as a run process does."""
    root = tmp_path_factory.mktemp("dbt-targets")
    return {True: root / "in-process", False: root / "subprocess"}


def test_dbt_version_is_read_without_starting_dbt():
    resource = dbt_cli_resource("local")
    with mock.patch("dagster_dbt.core.resource.check_output", side_effect=AssertionError("dbt --version started")):
        assert str(resource._cli_version) == version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_in_process_list_equals_the_subprocess_list(targets, profile_env):
    args = ["ls", "--resource-type", "model", "--exclude", "tag:merchant", "--output", "name"]
    listed = {}
    for in_process in (True, False):
        resource = dbt_cli_resource("local", in_process=in_process)
        cwd, environ = os.getcwd(), dict(os.environ)
        invocation, events = _invoke(resource, args, targets[in_process], profile_env)
        assert invocation.process.wait() == 0 and invocation.get_error() is None
        assert isinstance(invocation.process, InProcessDbtProcess) == in_process
        assert (os.getcwd(), dict(os.environ)) == (cwd, environ)
        listed[in_process] = sorted(e["info"]["msg"] for e in events if e["info"]["name"] == "PrintEvent")
    assert "fct_bars_1m" in listed[True]
    assert listed[True] == listed[False]


def test_a_failing_command_fails_the_same_way(targets, profile_env):
    failures = {}
    for in_process in (True, False):
        resource = dbt_cli_resource("local", in_process=in_process)
        invocation, _ = _invoke(resource, ["run-operation", "no_such_macro"], targets[in_process],
                                     profile_env)
        error = invocation.get_error()
        assert error is not None
        failures[in_process] = (invocation.process.wait() != 0, "no_such_macro" in str(error))
    assert failures[True] == failures[False] == (True, True)


def test_the_warehouse_is_released_for_other_processes_after_dbt(targets, profile_env):
    """dbt-duckdb keeps its database open for the process; after an in-process invocation the DuckDB
    file must be free again, or a run waiting for the pool slot and another's dbt wait for each other."""
    import subprocess
    import sys

    from binance_assets.warehouse import DuckDBWarehouse

    path = profile_env["BINANCE_ASSETS_DUCKDB_PATH"]
    DuckDBWarehouse(path).ensure_schema()  # the raw tables dbt's staging views read
    resource = dbt_cli_resource("local")
    invocation, _ = _invoke(resource, ["run", "--select", "stg_binance__spot_trades"], targets[True], profile_env)
    assert invocation.get_error() is None
    writer = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({path!r}).execute('create table t as select 1 as x')"],
        capture_output=True, text=True, timeout=120,
    )
    assert writer.returncode == 0, writer.stderr[-800:]


def test_secrets_are_scrubbed_from_dbt_events_as_by_the_subprocess(targets, profile_env):
    secret = "s3cr3t-value-9f2"
    env = {**profile_env, "DBT_ENV_SECRET_TOKEN": secret}
    for in_process in (True, False):
        resource = dbt_cli_resource("local", in_process=in_process)
        _, events = _invoke(resource, ["ls", "--select", secret], targets[in_process], env)
        text = repr(events)
        assert "does not match any enabled nodes" in text or "NoNodesForSelectionCriteria" in text, text[-800:]
        assert secret not in text, in_process
