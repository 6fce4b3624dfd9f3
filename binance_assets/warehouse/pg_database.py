"""The warehouse's PostgreSQL database itself: created on first use when the role may, else one line
saying what to run (a fresh server has no database `binance`; `CREATE DATABASE` as tests/conftest.py does).

Called by `PostgresWarehouse` (its first connection of a process, when that fails) and, before they
start, by `binance-assets demo` and the API (binance_assets.warehouse.snapshots.PostgresReader).
"""

from __future__ import annotations

import shlex

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from binance_assets.warehouse.errors import DatabaseMissing

ADMIN_DATABASE = "postgres"  # every server has it (initdb); CREATE DATABASE runs from there


def _target(conninfo: str) -> tuple[str, str, str, str]:
    """(database, role, host, port) that `conninfo` names, with libpq's defaults filled in."""
    info = conninfo_to_dict(conninfo)
    role = info.get("user") or "postgres"
    return info.get("dbname") or role, role, info.get("host") or "127.0.0.1", str(info.get("port") or 5432)


def _refusal(conninfo: str, why: str) -> DatabaseMissing:
    name, role, host, port = _target(conninfo)
    command = shlex.join(["createdb", "-h", host, "-p", port, "-U", "postgres", "-O", role, name])
    return DatabaseMissing(
        f'database "{name}" does not exist on {host}:{port} and {why}: run `{command}` (as any role that may create '
        "databases), or set BINANCE_ASSETS_POSTGRES_URL to an existing database"
    )


def _says_missing(error: psycopg.OperationalError, name: str) -> bool:
    return f'database "{name}" does not exist' in str(error)


def ensure_database(conninfo: str) -> bool:
    """Make sure the database `conninfo` names exists: True if this call created it, False if it was there.

    `DatabaseMissing` (one line saying what to run) when it is missing and this role may not create it;
    any other connection failure (server down, wrong password, role missing) is raised as it is."""
    try:
        psycopg.connect(conninfo).close()
        return False
    except psycopg.OperationalError as exc:
        error = exc
    name, role, _, _ = _target(conninfo)
    try:
        admin = psycopg.connect(make_conninfo(conninfo, dbname=ADMIN_DATABASE), autocommit=True)
    except psycopg.OperationalError:
        if _says_missing(error, name):
            raise _refusal(conninfo, f'role "{role}" cannot connect to the "{ADMIN_DATABASE}" database '
                                     "to create it") from None
        raise error from None
    with admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise error  # it exists: the first connection failed for another reason (e.g. no CONNECT right)
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.InsufficientPrivilege:
            raise _refusal(conninfo, f'role "{role}" may not create it') from None
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            return False  # another process created it meanwhile
    return True
