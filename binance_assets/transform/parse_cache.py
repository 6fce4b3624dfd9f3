"""dbt's partial parsing kept warm between runs: one `partial_parse.msgpack` per warehouse profile.

dbt skips parsing the project when the `partial_parse.msgpack` in its target folder was written for the
same dbt version, --vars, profile *values* (the DuckDB path, the PostgreSQL host...) and project files.
The one `dagster-dbt project prepare-and-package` writes was parsed with the build machine's profile, so
a run against the deployment's warehouse re-parses the whole project (5-10 s of CPU per `dbt build`), and
dagster-dbt gives each invocation a fresh target folder, so the re-parse is lost with it. Here, each
invocation's target folder starts from the msgpack kept for its profile (`seed`), and a msgpack dbt wrote
while re-parsing is kept for the next run (`keep`, an atomic replace: concurrent runs see the old or the
new file, never half of one). The partition window does not reach dbt as --vars (it would invalidate the
file on every run) but in an environment variable read only at execution (macros/partition_window.sql).

A missing, stale or corrupt cache only costs a parse: dbt checks the file and re-parses what changed.
No Dagster imports.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
CACHE_FOLDER = "partial_parse_cache"


def cache_file(project_target: Path, profile_env: Mapping[str, str], dbt_version: str) -> Path:
    """Where the msgpack for this profile lives: `<project target>/partial_parse_cache/<hash>.msgpack`.

    The key is the profile's environment (target, DuckDB path or PostgreSQL host, port, user, database;
    never a password) and the dbt version: what decides whether dbt accepts the file."""
    key = json.dumps({"env": dict(sorted(profile_env.items())), "dbt": dbt_version}, sort_keys=True)
    return project_target / CACHE_FOLDER / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.msgpack"


def seed(invocation_target: Path, cached: Path) -> float | None:
    """Put the cached msgpack in an invocation's (new) target folder; its mtime there, or None if none."""
    if not cached.is_file():
        return None
    destination = invocation_target / PARTIAL_PARSE_FILE
    try:
        invocation_target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, destination)
        return destination.stat().st_mtime
    except OSError:
        return None


def keep(invocation_target: Path, cached: Path, seeded_mtime: float | None) -> bool:
    """After dbt ran: keep the msgpack it wrote (it re-parsed) for the next run. True if one was kept.

    Nothing to do when dbt used the seeded file as it was. A read-only project folder (an image built
    without a writable target) only means no cache."""
    written = invocation_target / PARTIAL_PARSE_FILE
    try:
        if not written.is_file() or (seeded_mtime is not None and written.stat().st_mtime == seeded_mtime):
            return False
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=cached.parent, prefix=".partial_parse-", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(written, temporary)
            os.replace(temporary, cached)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return True
    except OSError:
        return False


@contextmanager
def warm_target(project_target: Path, profile_env: Mapping[str, str], target: Path) -> Iterator[Path]:
    """`target`, a new target folder for one dbt invocation, seeded with the msgpack kept for this profile
    and the installed dbt-core (under `project_target`); after the invocation (if it did not raise), what
    dbt re-parsed is kept."""
    cached = cache_file(project_target, profile_env, version("dbt-core"))
    seeded = seed(target, cached)
    yield target
    keep(target, cached, seeded)
