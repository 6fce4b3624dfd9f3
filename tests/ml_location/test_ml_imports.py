"""The `ml` location's run processes start without what only `market_data` needs: every ml run (one per
landed partition) imports the location, and dagster-dbt (with dbt) and dagster-aws took seconds of it."""

import subprocess
import sys

HEAVY_FOR_ML = ("dagster_dbt", "dbt", "dagster_aws")


def test_the_ml_location_imports_neither_dbt_nor_dagster_aws():
    code = (
        "import sys, binance_assets.ml.definitions as m; assert m.defs is not None; "
        f"print(sorted(name for name in {HEAVY_FOR_ML!r} if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]", done.stdout
