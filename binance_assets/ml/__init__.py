"""Models on the minute features: walk-forward training, registry, promotion gate, scoring, drift.

Pure scikit-learn/pandas/numpy; the Dagster wiring lives in this package's assets/checks modules.
"""
