"""Point-in-time minute features built from marts.fct_bars_1m (pure pandas/numpy, no Dagster)."""
