"""`warehouse`: an empty warehouse of each engine (DuckDB file in tmp_path; PostgreSQL test database)."""

from __future__ import annotations

import pytest

from binance_assets.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request, duckdb_path) -> Warehouse:
    if request.param == "duckdb":
        wh: Warehouse = DuckDBWarehouse(duckdb_path)
    else:
        wh = PostgresWarehouse(request.getfixturevalue("postgres_url"))
        wh.drop_all()  # the session database is shared by this worker's tests: start empty
    wh.ensure_schema()
    return wh
