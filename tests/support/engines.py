"""An empty warehouse on either engine, for tests parametrized over DuckDB and PostgreSQL."""

from __future__ import annotations

import pytest

from binance_assets.warehouse import DuckDBWarehouse, PostgresWarehouse

ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


def empty_warehouse(request, tmp_path):
    """`request.param`'s engine with its schema: a DuckDB file in `tmp_path`, or a fresh PostgreSQL database."""
    if request.param == "duckdb":
        warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb")
    else:
        warehouse = PostgresWarehouse(request.getfixturevalue("fresh_postgres_url"))
    warehouse.ensure_schema()
    return warehouse
