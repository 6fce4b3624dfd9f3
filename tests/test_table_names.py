"""One constant per table name: Python in binance_assets and binance_api names a warehouse table (`schema.table` of
the platform's schemas) only through the constants that declare it (binance_assets/warehouse/table_names.py for the
derived tables; the raw ones are composed from binance_assets/warehouse/tables.py), never as a string literal of its
own. Docstrings (prose) are not code and are left alone; dbt's SQL names its models and is out of scope."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DECLARING = {Path("binance_assets/warehouse/table_names.py")}
SCHEMAS = ("raw", "staging", "marts", "features", "ml", "gapfill")
# `marts.fct_bars_1m`, not `binance_assets.ml.assets` (a dotted module path) nor `raw.agg_id` outside a string.
TABLE = re.compile(rf"(?<![\w.])(?:{'|'.join(SCHEMAS)})\.[a-z_][a-z0-9_]*\b")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def table_literals(path: Path) -> list[str]:
    """`path:line: name` for each table name inside a string literal (f-strings' literal parts too)."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = _docstrings(tree)
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
            hits += [f"{where}:{node.lineno}: {m.group(0)}" for m in TABLE.finditer(node.value)]
    return sorted(hits)


def test_no_table_name_is_spelled_outside_its_declaration():
    sources = sorted(p for package in ("binance_assets", "binance_api") for p in (ROOT / package).rglob("*.py"))
    assert len(sources) > 100
    offenders = [hit for path in sources if path.relative_to(ROOT) not in DECLARING for hit in table_literals(path)]
    assert offenders == [], "import the table's constant instead:\n" + "\n".join(offenders)


def test_the_scan_reports_a_literal_in_sql_and_skips_prose_and_module_paths(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Reads marts.fct_bars_1m (prose)."""\n'
        'MODULE = "binance_assets.ml.assets"\n'
        'SQL = "SELECT * FROM marts.fct_bars_1m b JOIN raw.load_log l USING (symbol)"\n'
        'def f(day):\n    return f"DELETE FROM ml.predictions WHERE trade_date = {day}"\n'
    )
    assert table_literals(sample) == [
        "sample.py:3: marts.fct_bars_1m",
        "sample.py:3: raw.load_log",
        "sample.py:5: ml.predictions",
    ]


def test_each_derived_table_is_declared_once_and_each_mart_is_a_dbt_model():
    from binance_assets.warehouse import table_names

    declared = {name: value for name, value in vars(table_names).items() if name.endswith("_TABLE")}
    assert len(set(declared.values())) == len(declared), declared
    models = {p.stem for p in (ROOT / "dbt_project" / "models" / "marts").rglob("*.sql")}
    marts = {value.split(".", 1)[1] for value in declared.values() if value.startswith("marts.")}
    assert marts and marts <= models, sorted(marts - models)
