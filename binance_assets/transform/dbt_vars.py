"""Pure helpers that turn a run's partitions and the warehouse settings into dbt arguments. No Dagster."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

# The partition window as dbt's macros read it while executing (dbt_project/macros/partition_window.sql).
WINDOW_ENV = "BINANCE_ASSETS_DBT_WINDOW"


def partition_window_vars(days: Iterable[dt.date], symbols: Iterable[str] | None = None) -> dict:
    """The dbt vars of a run: the smallest date window covering its days, and its symbols when the run names
    some (None: every symbol of those days).

    No days gives empty vars, so dbt covers everything (a full refresh).
    """
    days = list(days)
    if not days:
        return {}
    vars_: dict = {"min_date": min(days).isoformat(), "max_date": max(days).isoformat()}
    if symbols is not None:
        vars_["symbols"] = sorted(set(symbols))
    return vars_


def pairs_window_vars(parts: Iterable[tuple[dt.date, str]]) -> dict:
    """The window covering (day, symbol) pairs: their days and their symbols (callers that know the symbols)."""
    parts = list(parts)
    return partition_window_vars([d for d, _ in parts], [s for _, s in parts]) if parts else {}


def window_env(vars_: dict) -> dict[str, str]:
    """The window for dbt as an environment variable (`{}`: no window, everything). Unlike --vars, it leaves
    dbt's partial parsing valid from one window to the next (binance_assets.transform.parse_cache)."""
    return {WINDOW_ENV: json.dumps(vars_, sort_keys=True)}


def dbt_build_args(vars_: dict, *, full_refresh: bool = False) -> list[str]:
    """`dbt build` with the window as --vars: for dbt commands run by hand or by tests (Dagster's steps
    pass it by `window_env`)."""
    args = ["build"]
    if vars_:
        args += ["--vars", json.dumps(vars_, sort_keys=True)]
    if full_refresh:
        args.append("--full-refresh")
    return args



def window_predicate(vars_: dict) -> tuple[str, list]:
    """The same window as dbt's `partition_window()` macro, as SQL with `?` parameters."""
    clauses, params = ["1 = 1"], []
    if vars_.get("min_date"):
        clauses.append("trade_date >= cast(? as date)")
        params.append(vars_["min_date"])
    if vars_.get("max_date"):
        clauses.append("trade_date <= cast(? as date)")
        params.append(vars_["max_date"])
    if vars_.get("symbols"):
        clauses.append(f"symbol in ({', '.join('?' for _ in vars_['symbols'])})")
        params.extend(vars_["symbols"])
    return " and ".join(clauses), params
