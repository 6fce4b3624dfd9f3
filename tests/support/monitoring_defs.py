"""Tiny Dagster definitions for the exporter's tests: a job that succeeds (with a failing ERROR check and a
failing `feature_drift` check), a job that fails, freshness policies on two assets. Loaded in-process by the
test and by the workspace file the exporter reads (`python_file`)."""

import datetime as dt

import dagster as dg

HOURLY = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=2), warn_window=dt.timedelta(hours=1))
DAILY = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=26))


@dg.asset(key=["tiny", "ok"], freshness_policy=HOURLY)
def ok() -> int:
    return 1


@dg.asset(key=["tiny", "predictions"], deps=[ok], freshness_policy=DAILY)
def predictions() -> int:
    return 2


@dg.asset(key=["tiny", "boom"])
def boom() -> int:
    raise RuntimeError("this asset always fails")


@dg.asset_check(asset=ok, name="rows_positive")
def rows_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata={"bad_rows": 3})


@dg.asset_check(asset=predictions, name="feature_drift")
def feature_drift() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"severity": "warn", "max_psi": 0.31})


@dg.asset_check(asset=predictions, name="rows_present")
def rows_present() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


ok_job = dg.define_asset_job("tiny_ok_job", selection=dg.AssetSelection.assets(ok, predictions))
boom_job = dg.define_asset_job("tiny_boom_job", selection=dg.AssetSelection.assets(boom))

defs = dg.Definitions(assets=[ok, predictions, boom], asset_checks=[rows_positive, feature_drift, rows_present],
                      jobs=[ok_job, boom_job])
