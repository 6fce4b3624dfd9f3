"""dbt invoked inside the calling process (dbt's programmatic `dbtRunner`), behind dagster-dbt's own
`DbtCliInvocation`: same arguments, environment, target folder and JSON events, without a new Python.

A `dbt build` subprocess re-imports dbt-core and its adapter (about 3 s of CPU) and then parses or
reads the project: for a partition of a few thousand rows that start-up is most of the step. In a run
process dbt is already imported (dagster-dbt imports it), and in a long-lived process (the tests, the
demo) it is imported once for all invocations.

`InProcessDbtProcess` stands in for the `subprocess.Popen` dagster-dbt starts: it runs dbt to the end
with the environment and working directory dagster-dbt prepared (restored afterwards), turns each event
dbt fires at info level or above into the line dbt's `--log-format json` would have printed (the same
`msg_to_dict`), and hands the lines to dagster-dbt, which parses them exactly as it parses a
subprocess's stdout. dbt is not thread-safe across concurrent invocations in one process, so
invocations are serialised by a process-wide lock (a Dagster step runs one dbt at a time anyway).
No Dagster imports.
"""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from typing import Any

SHOWN_LEVELS = {"info", "warn", "error"}  # dbt's default --log-level for stdout
_DBT_LOCK = threading.Lock()
# What a process's first in-process `dbt build` imports (dbt's runner, task, parser and the adapters): a
# local code server's fork server imports them before it forks a run (binance_assets/run_workers.py).
DBT_RUN_MODULES = ("dbt.cli.main", "dbt.task.build", "dbt.parser.manifest", "dbt.adapters.duckdb",
                   "dbt.adapters.postgres")


@contextmanager
def _process_state(env: Mapping[str, str], cwd: str | os.PathLike | None):
    """The environment and working directory a dbt subprocess would have had, for the duration."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(env)
    try:
        if cwd is not None:
            os.chdir(cwd)
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def run_dbt(cli_args: Sequence[str], env: Mapping[str, str], cwd: str | os.PathLike | None) -> tuple[int, list[bytes]]:
    """Run one dbt command (arguments after the executable); its exit code (0, 1 failure, 2 error, as
    dbt's CLI) and its events as `--log-format json` lines."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.base_types import EventMsg
    from dbt_common.events.functions import env_secrets, msg_to_dict, scrub_secrets
    from dbt_common.utils.encoding import ForgivingJSONEncoder

    lines: list[bytes] = []

    def collect(msg: EventMsg) -> None:
        if msg.info.level in SHOWN_LEVELS:  # as dbt's JSON logger: secrets (DBT_ENV_SECRET_*) scrubbed
            line = scrub_secrets(json.dumps(msg_to_dict(msg), sort_keys=True, cls=ForgivingJSONEncoder), secrets)
            lines.append(line.encode() + b"\n")

    with _DBT_LOCK, _process_state(env, cwd):
        secrets = env_secrets()
        try:
            result = dbtRunner(callbacks=[collect]).invoke(list(cli_args))
        finally:
            _release_duckdb()
    if result.exception is not None:
        code = 2
        if not any(b'"level": "error"' in line for line in lines):
            error = {"info": {"level": "error", "msg": f"{type(result.exception).__name__}: {result.exception}",
                              "name": "InProcessDbtError"}, "data": {}}
            lines.append(json.dumps(error).encode() + b"\n")
    else:
        code = 0 if result.success else 1
    return code, lines


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the process (`DuckDBConnectionManager._ENV`).

    A `dbt` subprocess releases the file when it exits; in process, the handle would outlive the
    invocation and hold DuckDB's file lock, so no other process could open the warehouse until this one
    ends (a run waiting for the `warehouse` pool slot while another run's dbt waits for the file: a
    deadlock). dbt-duckdb closes it only at interpreter exit (atexit)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb not installed (a PostgreSQL-only deployment)
        return
    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
        if environment is not None:
            environment.close()


class InProcessDbtProcess:
    """The part of `subprocess.Popen` dagster-dbt's `DbtCliInvocation` uses, for a dbt run in process."""

    def __init__(self, args: Sequence[str], *, env: Mapping[str, str] | None = None,
                 cwd: str | os.PathLike | None = None, **_: Any) -> None:
        self.args = list(args)
        self.returncode, lines = run_dbt(self.args[1:], dict(env if env is not None else os.environ), cwd)
        self.stdout = io.BytesIO(b"".join(lines))

    def wait(self, timeout: float | None = None) -> int:
        return self.returncode

    def poll(self) -> int:
        return self.returncode

    def send_signal(self, sig: int) -> None:  # dbt has finished by the time anyone could signal it
        return None

    def terminate(self) -> None:
        return None


class InProcessSubprocess:
    """What `dagster_dbt.core.dbt_cli_invocation` reads from the `subprocess` module."""

    Popen = InProcessDbtProcess
    PIPE = -1
    STDOUT = -2
