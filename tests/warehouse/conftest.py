"""`warehouse`: an empty warehouse of each engine (DuckDB file in tmp_path; PostgreSQL test database)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from binance_assets.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse


def drop_derived_schemas(url: str) -> None:
    """Drop every schema but `public` and `raw` (derived tables of earlier tests) from the database."""
    with psycopg.connect(url, autocommit=True) as conn:
        names = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('public', 'raw', 'information_schema') "
            "AND nspname NOT LIKE 'pg\\_%'"
        ).fetchall()
        for (name,) in names:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request, duckdb_path) -> Warehouse:
    if request.param == "duckdb":
        wh: Warehouse = DuckDBWarehouse(duckdb_path)
    else:
        url = request.getfixturevalue("postgres_url")
        wh = PostgresWarehouse(url)
        wh.drop_all()  # the session database is shared by this worker's tests: start empty
        drop_derived_schemas(url)
    wh.ensure_schema()
    return wh
