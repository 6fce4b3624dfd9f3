"""PSI and KS drift: a shifted distribution is flagged, a fresh sample of the same one is not."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from binance_assets.ml.drift import drift_report, population_stability_index

FEATURES = ["a", "b", "c"]


def _frame(rng, n, shift_a=0.0, scale_b=1.0):
    return pd.DataFrame(
        {
            "a": rng.normal(shift_a, 1.0, n),
            "b": rng.normal(0.0, scale_b, n),
            "c": rng.exponential(1.0, n),
        }
    )


def test_psi_basics():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20_000)
    assert population_stability_index(x, x) == pytest.approx(0.0, abs=1e-12)
    assert population_stability_index(x, rng.normal(size=5_000)) < 0.02
    assert population_stability_index(x, rng.normal(1.0, 1.0, 5_000)) > 0.25
    # ties (a feature that is mostly zero) merge bins instead of failing
    zeros = np.where(rng.uniform(size=10_000) < 0.8, 0.0, rng.normal(size=10_000))
    assert population_stability_index(zeros, zeros[::-1]) == pytest.approx(0.0, abs=1e-12)
    assert population_stability_index(zeros, np.zeros(100)) > 0.1
    assert np.isnan(population_stability_index([], x))
    assert population_stability_index([1.0, np.nan, 2.0, 3.0] * 100, [np.nan, 1.0, 2.0, 3.0] * 50) < 1e-9


def test_shifted_distribution_is_flagged_and_same_distribution_is_ok():
    rng = np.random.default_rng(42)
    reference = _frame(rng, 10_000)
    same = _frame(rng, 1_440)
    shifted = _frame(rng, 1_440, shift_a=1.0, scale_b=1.5)

    ok = drift_report(reference, same, FEATURES)
    assert ok.severity == "ok" and ok.passed
    assert all(f.severity == "ok" for f in ok.features)

    drifted = drift_report(reference, shifted, FEATURES)
    by = drifted.by_feature()
    assert by["a"].severity == "error" and by["a"].psi > 0.25 and by["a"].ks_pvalue < 1e-6
    assert by["b"].severity in {"warn", "error"}
    assert by["c"].severity == "ok"
    assert drifted.severity == "error" and not drifted.passed
    frame = drifted.to_frame()
    assert list(frame["feature"]) == FEATURES and {"psi", "ks_statistic", "ks_pvalue", "severity"} <= set(frame.columns)


def test_nulls_are_ignored_and_all_null_is_an_error():
    rng = np.random.default_rng(7)
    reference = _frame(rng, 5_000)
    current = _frame(rng, 1_000)
    current.loc[::3, "a"] = np.nan
    report = drift_report(reference, current, FEATURES)
    assert report.severity == "ok"
    assert report.by_feature()["a"].n_current == 1_000 - len(current.loc[::3])

    current["b"] = np.nan
    report = drift_report(reference, current, FEATURES)
    assert report.by_feature()["b"].severity == "error" and report.severity == "error"
    json.dumps(report.to_dict(), allow_nan=False)  # JSON-safe for Dagster metadata
    with pytest.raises(ValueError, match="lacks feature column"):
        drift_report(reference, current.drop(columns=["c"]), FEATURES)


def test_ks_alone_only_warns():
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"a": rng.normal(0, 1, 200_000)})
    current = pd.DataFrame({"a": rng.normal(0.06, 1, 200_000)})  # tiny shift, huge sample
    feature = drift_report(reference, current, ["a"]).features[0]
    assert feature.ks_pvalue < 0.001 and feature.psi < 0.1
    assert feature.severity == "warn"
