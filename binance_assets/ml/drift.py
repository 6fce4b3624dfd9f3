"""Feature drift between a reference sample (e.g. the champion's training window) and a current one.

Per feature, nulls dropped on both sides:

* PSI, the population stability index, over ``bins`` quantile bins of the reference (ties merge bins;
  the outer bins are open, so current values outside the reference range still count), with ``epsilon``
  for empty bins: ``sum((a - e) * ln(a / e))``.
* the two-sample Kolmogorov-Smirnov statistic and p-value (`scipy.stats.ks_2samp`).

Severity: "error" if PSI >= ``psi_error``, or if the KS p-value < ``ks_pvalue_error`` while PSI >= ``psi_warn``;
"warn" if PSI >= ``psi_warn`` or the KS p-value < ``ks_pvalue_error`` alone; else "ok". KS alone never
errors: on thousands of autocorrelated minutes its p-value flags differences too small to matter, and PSI
gives the effect size. A feature with reference values but no current values is an "error"; one without
reference values cannot be judged and is a "warn". The report's severity is the worst feature's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

SEVERITIES = ("ok", "warn", "error")
EPSILON = 1e-4


def _clean(values) -> np.ndarray:
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values).ravel())
    array = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return array[np.isfinite(array)]


def population_stability_index(expected, actual, bins: int = 10, *, epsilon: float = EPSILON) -> float:
    """PSI of ``actual`` against ``expected`` (quantile bins of expected); NaN if either side is empty."""
    expected, actual = _clean(expected), _clean(actual)
    if len(expected) == 0 or len(actual) == 0:
        return float("nan")
    if bins < 1:
        raise ValueError("bins must be at least 1")
    inner = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1]))
    edges = np.concatenate([[-np.inf], inner, [np.inf]])
    # side="right" semantics: a value equal to an edge goes to the bin above it, on both sides alike.
    e_counts = np.bincount(np.searchsorted(edges, expected, side="right") - 1, minlength=len(edges) - 1)
    a_counts = np.bincount(np.searchsorted(edges, actual, side="right") - 1, minlength=len(edges) - 1)
    e = np.maximum(e_counts / e_counts.sum(), epsilon)
    a = np.maximum(a_counts / a_counts.sum(), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    psi: float
    ks_statistic: float
    ks_pvalue: float
    severity: str
    n_reference: int
    n_current: int
    note: str = ""


@dataclass(frozen=True)
class DriftReport:
    features: list[FeatureDrift]
    severity: str
    psi_warn: float
    psi_error: float
    ks_pvalue_error: float

    @property
    def passed(self) -> bool:
        return self.severity != "error"

    def to_frame(self) -> pd.DataFrame:
        columns = [f.name for f in FeatureDrift.__dataclass_fields__.values()]
        return pd.DataFrame([asdict(f) for f in self.features], columns=columns)

    def by_feature(self) -> dict[str, FeatureDrift]:
        return {f.feature: f for f in self.features}

    def to_dict(self) -> dict:
        """JSON-safe summary (NaN -> None), e.g. for Dagster metadata."""

        def safe(v):
            return None if isinstance(v, float) and not np.isfinite(v) else v

        return {
            "severity": self.severity,
            "thresholds": {"psi_warn": self.psi_warn, "psi_error": self.psi_error,
                           "ks_pvalue_error": self.ks_pvalue_error},
            "features": {f.feature: {k: safe(v) for k, v in asdict(f).items() if k != "feature"}
                         for f in self.features},
        }  # fmt: skip


def _severity(psi: float, pvalue: float, psi_warn: float, psi_error: float, ks_pvalue_error: float) -> str:
    ks_flag = bool(np.isfinite(pvalue) and pvalue < ks_pvalue_error)
    if psi >= psi_error or (ks_flag and psi >= psi_warn):
        return "error"
    if psi >= psi_warn or ks_flag:
        return "warn"
    return "ok"


def drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    features: Iterable[str],
    *,
    psi_warn: float = 0.1,
    psi_error: float = 0.25,
    ks_pvalue_error: float = 0.001,
    bins: int = 10,
) -> DriftReport:
    """PSI and KS per feature of ``current`` against ``reference``; see the module docstring for severity."""
    if psi_warn > psi_error:
        raise ValueError(f"psi_warn ({psi_warn}) must not exceed psi_error ({psi_error})")
    results = []
    for name in features:
        for frame, side in ((reference, "reference"), (current, "current")):
            if name not in frame.columns:
                raise ValueError(f"{side} frame lacks feature column {name!r}")
        ref, cur = _clean(reference[name]), _clean(current[name])
        results.append(_feature_drift(name, ref, cur, psi_warn, psi_error, ks_pvalue_error, bins))
    return DriftReport(results, worst(r.severity for r in results), psi_warn, psi_error, ks_pvalue_error)


def _feature_drift(
    name: str, ref: np.ndarray, cur: np.ndarray, psi_warn: float, psi_error: float, ks_pvalue_error: float, bins: int
) -> FeatureDrift:
    nan = float("nan")
    if len(ref) == 0:
        return FeatureDrift(name, nan, nan, nan, "warn", 0, len(cur), "no reference values: drift not assessed")
    if len(cur) == 0:
        return FeatureDrift(name, nan, nan, nan, "error", len(ref), 0, "no current values (all null)")
    psi = population_stability_index(ref, cur, bins)
    ks = ks_2samp(ref, cur)
    statistic, pvalue = float(ks.statistic), float(ks.pvalue)
    severity = _severity(psi, pvalue, psi_warn, psi_error, ks_pvalue_error)
    return FeatureDrift(name, psi, statistic, pvalue, severity, len(ref), len(cur))


def worst(severities: Iterable[str]) -> str:
    """The most severe of ``severities`` ("ok" for none)."""
    return SEVERITIES[max((SEVERITIES.index(s) for s in severities), default=0)]
