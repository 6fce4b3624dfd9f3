"""What each image target starts, run outside a container: its Dockerfile CMD and HEALTHCHECK with the local venv.

No Docker engine here, so the test takes the commands from the Dockerfile itself (and the two the Dockerfile
leaves to the deployment, the `ml` code server and the daemon, from deploy/compose/docker-compose.yml) and
runs them as they are, except for what only the container has: the EXPOSEd ports become free loopback ports,
paths in the image become temporary folders (DAGSTER_HOME gets the local instance config, the data folder is
empty, BINANCE_ASSETS_ENV=local) and files the stage COPYs are read from the repository. Then:
- the code-location command serves gRPC for `market_data` and `ml` (the image's HEALTHCHECK answers);
- the api command answers its HEALTHCHECK;
- the dagster webserver, on the image's workspace (deploy/dagster/workspace.prod.yaml, hosts from the
  environment as on ECS), answers /server_info and has loaded both locations from those servers;
- the daemon, started by compose's command, heartbeats and passes `dagster-daemon liveness-check`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest
import yaml
from support.dockerfile import ROOT, Stage, image_files, stages
from support.network import free_port
from support.processes import command_succeeds, port_open, processes, wait_for

BIN = Path(sys.executable).parent
COMPOSE = ROOT / "deploy" / "compose" / "docker-compose.yml"
LOCAL_INSTANCE = ROOT / "deploy" / "dagster" / "local.yaml"
START_TIMEOUT = 240  # seconds; a code server loads in ~10 s alone, the suite shares 2 cores
# The whole platform as the images start it: its servers run untraced (tests/support/untraced.py).
pytestmark = pytest.mark.e2e


def compose_service(name: str) -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"][name]


def swap_ports(argv: list[str], ports: dict[int, int]) -> list[str]:
    out = []
    for word in argv:
        for old, new in ports.items():
            word = re.sub(rf"(?<!\d){old}(?!\d)", str(new), word)
        out.append(word)
    return out


def local_argv(argv: list[str]) -> list[str]:
    """The venv's console script (or interpreter) for the command's program."""
    program = sys.executable if argv[0] == "python" else str(BIN / argv[0])
    assert Path(program).exists(), f"{argv[0]} is not installed in {BIN}"
    return [program, *argv[1:]]


def local_env(stage: Stage, tmp: Path) -> dict[str, str]:
    """The image's ENV with what only the container has replaced (every absolute path among them)."""
    home = tmp / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(LOCAL_INSTANCE.read_text())
    local = {
        "BINANCE_ASSETS_ENV": "local",
        "BINANCE_ASSETS_DATA_DIR": str(tmp / "data"),
        "DAGSTER_HOME": str(home),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / f"prometheus-{stage.name}"),
    }
    paths = {k for k, v in stage.env.items() if v.startswith("/")}
    assert paths <= set(local), f"image paths the test does not map: {paths - set(local)}"
    env = {**os.environ, **stage.env, **{k: v for k, v in local.items() if k in stage.env or k == "BINANCE_ASSETS_ENV"}}
    for path in (env.get("PROMETHEUS_MULTIPROC_DIR"), env["BINANCE_ASSETS_DATA_DIR"]):
        if path:
            Path(path).mkdir(parents=True, exist_ok=True)
    # The repository, not an installed copy; the venv's programs first.
    return env | {"PYTHONPATH": str(ROOT), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def grpc_serving(port: int) -> bool:
    """The code server's gRPC health, asked in process (cheap) before its HEALTHCHECK command runs once."""
    from dagster._grpc.client import DagsterGrpcClient

    with contextlib.redirect_stdout(io.StringIO()):  # the client prints connection errors while it starts
        return DagsterGrpcClient(port=port, host="127.0.0.1").health_check_query() == "SERVING"


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


LOCATIONS_QUERY = """{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def loaded_locations(port: int) -> dict[str, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": LOCATIONS_QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        entries = json.load(response)["data"]["workspaceOrError"]["locationEntries"]
    return {e["name"]: (e["locationOrLoadError"] or {}).get("__typename", e["loadStatus"]) for e in entries}


def test_every_runtime_target_runs_as_a_non_root_user_with_a_healthcheck():
    runtime = {name: s for name, s in stages().items() if s.cmd is not None}
    assert set(runtime) == {"code-location", "api", "dagster"}
    for name, stage in runtime.items():
        assert {"USER", "HEALTHCHECK", "CMD"} <= stage.own, f"{name} must set USER, HEALTHCHECK and CMD itself"
        assert stage.user and stage.user.split(":")[0] not in {"root", "0"}, f"{name} runs as {stage.user}"
        assert stage.healthcheck and stage.healthcheck.command[0] != "/bin/sh", f"{name}: exec-form HEALTHCHECK"
        assert stage.expose, f"{name} EXPOSEs its port"
        assert stage.entrypoint is None  # ECS and compose override the command only


def test_each_target_command_starts_what_it_should(tmp_path):
    all_stages = stages()
    code, api, dagster_stage = all_stages["code-location"], all_stages["api"], all_stages["dagster"]
    (code_port,), (api_port,), (web_port,) = code.expose, api.expose, dagster_stage.expose
    md_port, ml_port, api_local, web_local = free_port(), free_port(), free_port(), free_port()

    # The ml location and the daemon: the deployment's command on the same images.
    ml_service, daemon_service = compose_service("code-ml"), compose_service("dagster-daemon")
    assert ml_service["build"]["target"] == "code-location" and daemon_service["build"]["target"] == "dagster"
    assert ml_service["command"] == [w.replace("binance_assets.definitions", "binance_assets.ml.definitions")
                                     for w in code.cmd]

    # The workspace the dagster image carries, with the test's ports; hosts come from the environment as on ECS.
    files = image_files(dagster_stage)
    image_workspace = dagster_stage.cmd[dagster_stage.cmd.index("-w") + 1]
    workspace = yaml.safe_load(files[image_workspace].read_text())
    location_ports = {"market_data": md_port, "ml": ml_port}
    for entry in workspace["load_from"]:
        entry["grpc_server"]["port"] = location_ports[entry["grpc_server"]["location_name"]]
    workspace_file = tmp_path / "workspace.yaml"
    workspace_file.write_text(yaml.safe_dump(workspace))

    def dagster_argv(argv: list[str]) -> list[str]:
        return local_argv([str(workspace_file) if w == image_workspace else w for w in argv])

    code_env, api_env = local_env(code, tmp_path), local_env(api, tmp_path)
    dagster_env = local_env(dagster_stage, tmp_path) | {
        "DAGSTER_CODE_MARKET_DATA_HOST": "127.0.0.1", "DAGSTER_CODE_ML_HOST": "127.0.0.1",
    }
    # The SQLite storage is created once here: processes that all find it missing race on its migrations.
    dg.DagsterInstance.from_config(dagster_env["DAGSTER_HOME"]).dispose()
    timings = {}
    with processes(tmp_path) as procs:
        started = time.monotonic()
        # Everything that needs nothing else starts at once: the two code servers, the API and the daemon
        # (it heartbeats without its locations and reloads the workspace later).
        market_data = procs.start("code-market-data", local_argv(swap_ports(code.cmd, {code_port: md_port})),
                                  code_env, tmp_path)
        ml = procs.start("code-ml", local_argv(swap_ports(ml_service["command"], {code_port: ml_port})),
                         code_env, tmp_path)
        api_proc = procs.start("api", local_argv(swap_ports(api.cmd, {api_port: api_local})), api_env, tmp_path)
        daemon = procs.start("dagster-daemon", dagster_argv(daemon_service["command"]), dagster_env, tmp_path)
        watched = [market_data, ml, api_proc, daemon]

        def healthy(proc, port, stage, env, ready) -> None:
            """Wait cheaply in process, then the image's HEALTHCHECK command must pass (each run imports Dagster)."""
            check = local_argv(swap_ports(stage.healthcheck.command, {stage.expose[0]: port}))
            wait_for(f"{proc.name} listens", lambda: port_open(port) and ready(port), procs, watched, START_TIMEOUT)
            wait_for(f"{proc.name} HEALTHCHECK {check}", lambda: command_succeeds(check, env, tmp_path),
                     procs, watched, 60)
            timings[proc.name] = time.monotonic() - started

        def http_ready(path: str):
            return lambda port: http_ok(f"http://127.0.0.1:{port}{path}")

        healthy(api_proc, api_local, api, api_env, http_ready("/health/live"))
        healthy(market_data, md_port, code, code_env, grpc_serving)
        healthy(ml, ml_port, code, code_env, grpc_serving)

        # The webserver once its locations serve (as compose's depends_on orders it).
        webserver = procs.start("dagster-webserver", dagster_argv(swap_ports(dagster_stage.cmd, {web_port: web_local})),
                                dagster_env, tmp_path)
        watched.append(webserver)
        healthy(webserver, web_local, dagster_stage, dagster_env, http_ready("/server_info"))
        assert loaded_locations(web_local) == {"market_data": "RepositoryLocation", "ml": "RepositoryLocation"}

        with dg.DagsterInstance.from_config(dagster_env["DAGSTER_HOME"]) as instance:
            wait_for("daemon heartbeats", lambda: bool(instance.get_daemon_heartbeats()), procs, watched,
                     START_TIMEOUT)
            assert {"SENSOR", "SCHEDULER", "QUEUED_RUN_COORDINATOR"} <= set(instance.get_daemon_heartbeats())
        liveness = local_argv(daemon_service["healthcheck"]["test"][1:])
        wait_for(f"daemon healthcheck {liveness}", lambda: command_succeeds(liveness, dagster_env, tmp_path),
                 procs, watched, 60)
        timings["dagster-daemon"] = time.monotonic() - started
    print("seconds to healthy:", {k: round(v, 1) for k, v in timings.items()})


@pytest.mark.parametrize("argv, ports, expected", [
    (["dagster", "-p", "4000", "--x", "14000"], {4000: 5}, ["dagster", "-p", "5", "--x", "14000"]),
    (["python", "-c", "urlopen('http://127.0.0.1:8000/health/live')"], {8000: 9},
     ["python", "-c", "urlopen('http://127.0.0.1:9/health/live')"]),
])
def test_ports_are_swapped_as_whole_numbers(argv, ports, expected):
    assert swap_ports(argv, ports) == expected
