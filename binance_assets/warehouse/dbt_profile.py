"""The environment variables dbt_project/profiles.yml reads to reach a warehouse. No Dagster."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

DBT_TARGETS = {"local": "local", "ci": "ci", "prod": "prod"}

def dbt_env(env: str, *, duckdb_path: str | None = None, postgres_url: str | None = None) -> dict[str, str]:
    """Environment variables that dbt_project/profiles.yml reads, for the given deployment.

    Not the password: the profile reads BINANCE_ASSETS_PG_PASSWORD (a secret, set by the deployment)
    itself, so it is never copied into another variable or the run's environment.
    """
    variables = {"BINANCE_ASSETS_DBT_TARGET": DBT_TARGETS[env]}
    if duckdb_path:
        variables["BINANCE_ASSETS_DUCKDB_PATH"] = duckdb_path
    if postgres_url:
        url = urlsplit(postgres_url)
        variables |= {
            "BINANCE_ASSETS_PG_HOST": url.hostname or "127.0.0.1",
            "BINANCE_ASSETS_PG_PORT": str(url.port or 5432),
            "BINANCE_ASSETS_PG_USER": unquote(url.username or "postgres"),
            "BINANCE_ASSETS_PG_DATABASE": url.path.lstrip("/") or "postgres",
        }
    return variables
