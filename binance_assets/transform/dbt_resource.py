"""The dbt CLI resource: dagster-dbt's `DbtCliResource` without two start-up costs this project never uses.

Before every `dbt` invocation, dagster-dbt's resource
- runs `dbt --version` in a subprocess (once per resource instance, and Dagster builds the resources
  anew for every run) to tell dbt Core from the Fusion engine: about 3 s of CPU, a whole dbt start-up;
- builds an in-process dbt adapter with the project's macros (about 2.6 s of CPU in a new run process),
  used only by `fetch_column_metadata()` / `fetch_row_counts()`, which this project does not call (the
  dbt step counts a partition's rows itself: `transform.assets._with_row_counts`).

The dbt here is the dbt-core installed beside this Python (setup.py pins 1.11.x), so its version is
read from the package metadata, and no adapter is built. A dbt found elsewhere on PATH keeps
dagster-dbt's own check.

And dbt runs inside the step's process (`in_process`, on by default; `transform.dbt_inprocess`): the
same command, environment and JSON events as the `dbt` subprocess dagster-dbt would start, without a
second Python importing dbt again (3 s of CPU per invocation).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from importlib.metadata import version as package_version
from pathlib import Path
from unittest import mock

from dagster_dbt import DbtCliResource
from packaging import version
from pydantic import Field

from binance_assets.settings import DBT_PROJECT_DIR


def dbt_executable() -> str:
    """The dbt installed beside this Python (a venv that is not on PATH), else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


class ProjectDbtCliResource(DbtCliResource):
    """`DbtCliResource` for the dbt-core installed with the project (see the module doc)."""

    in_process: bool = Field(
        default=True, description="Run dbt inside the step's process instead of a `dbt` subprocess."
    )

    def _is_own_dbt_core(self) -> bool:
        return Path(self.dbt_executable).parent == Path(sys.executable).parent

    @cached_property
    def _cli_version(self) -> version.Version:
        if self._is_own_dbt_core():
            return version.parse(package_version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        if self._is_own_dbt_core():
            return None
        return super()._initialize_dbt_core_adapter(args)


    def cli(self, args, **kwargs):
        with self._dbt_process():
            return super().cli(args, **kwargs)

    @contextmanager
    def _dbt_process(self) -> Iterator[None]:
        """While dagster-dbt starts its dbt "subprocess", hand it the in-process one."""
        if not (self.in_process and self._is_own_dbt_core()):
            yield
            return
        from dagster_dbt.core import dbt_cli_invocation

        from binance_assets.transform.dbt_inprocess import InProcessSubprocess

        with mock.patch.object(dbt_cli_invocation, "subprocess", InProcessSubprocess):
            yield


def dbt_cli_resource(target: str, *, in_process: bool = True) -> ProjectDbtCliResource:
    return ProjectDbtCliResource(
        in_process=in_process,
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        target=target,
        dbt_executable=dbt_executable(),
    )
