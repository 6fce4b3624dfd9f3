"""The import graph reads top-down: import-linter's contracts in pyproject.toml ([tool.importlinter]), with no
exception list. They forbid any import from a lower layer up to a higher one (type-checking-only imports
count), any circle between sibling modules, binance_assets importing binance_api, and binance_api importing
more of binance_assets than its ground floors (the Binance library, the warehouse's read side, the model
registry, settings)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_contracts_have_no_exceptions_and_cover_both_packages():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert set(config["root_packages"]) == {"binance_assets", "binance_api"}
    contracts = config["contracts"]
    assert not [c["name"] for c in contracts if c.get("ignore_imports") or c.get("unmatched_ignore_imports_alerting")]
    assert {c["type"] for c in contracts} >= {"layers", "forbidden", "acyclic_siblings"}
    assert not any(c.get("exclude_type_checking_imports") for c in contracts)
    # Every top-level module of binance_assets sits on a floor of its layers contract.
    [assets_layers] = [c for c in contracts if c["type"] == "layers" and c["containers"] == ["binance_assets"]]
    placed = {name.strip() for layer in assets_layers["layers"] for name in layer.replace(":", "|").split("|")}
    package = ROOT / "binance_assets"
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    modules |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    assert modules <= placed, f"not on any floor: {sorted(modules - placed)}"


def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(tmp_path):
    """The contract can fail: a copy of the tree where the warehouse imports the ml domain is refused."""
    import shutil

    for name in ("binance_assets", "binance_api"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    leak = tmp_path / "binance_assets" / "warehouse" / "leak.py"
    leak.write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from binance_assets.ml import assets\n")
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode != 0
    assert "binance_assets.warehouse.leak -> binance_assets.ml.assets" in done.stdout
