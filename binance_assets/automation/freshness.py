"""Freshness policies for what is downstream of the raw layer (the raw layer has its deadline checks).
`freshness_policies()` maps asset groups to `dg.FreshnessPolicy.time_window(...)` (the 1.13 policy,
`AssetSpec.freshness_policy`, evaluated by the instance's freshness daemon, which is on by default):
every group downstream of the raw layer is refreshed once a day, after the daily archives land, so
warn when the latest materialization is a day old and fail after a grace period for a late archive
and the processing. `apply_freshness_policies` attaches them by group with `dg.map_asset_specs`.
A time-window policy looks at the latest materialization of *any* partition (a backfill of old days
counts as fresh): the raw deadline check (binance_assets.automation.deadline_checks) tracks single days.
"""

import datetime as dt
import warnings
from collections.abc import Iterable, Mapping
from typing import TypeVar

import dagster as dg

# Groups of the assets downstream of raw (dbt marts, features, predictions).
MARTS_GROUP = "marts"
FEATURES_GROUP = "features"
PREDICTIONS_GROUP = "predictions"


def freshness_policies() -> dict[str, dg.FreshnessPolicy]:
    """Time-window freshness policies by asset group.

    Every group downstream of raw is refreshed once a day: day D's archives are published between
    00:00 and ~06:00 UTC of D+1, then dbt builds the marts and features follow. So a materialization
    is expected every 24h: warn when the latest one is 24h old (today's run is later than yesterday's),
    fail at 26h (2h of grace for a late archive and the processing). Predictions score the features
    after the marts and features ran, one step later: warn at 25h, fail at 27h.
    """
    return {
        MARTS_GROUP: dg.FreshnessPolicy.time_window(
            fail_window=dt.timedelta(hours=26), warn_window=dt.timedelta(hours=24)
        ),
        FEATURES_GROUP: dg.FreshnessPolicy.time_window(
            fail_window=dt.timedelta(hours=26), warn_window=dt.timedelta(hours=24)
        ),
        PREDICTIONS_GROUP: dg.FreshnessPolicy.time_window(
            fail_window=dt.timedelta(hours=27), warn_window=dt.timedelta(hours=25)
        ),
    }


def _policy_mapper(policy_by_group: Mapping[str, dg.FreshnessPolicy], overwrite: bool):
    def _apply(spec: dg.AssetSpec) -> dg.AssetSpec:
        policy = policy_by_group.get(spec.group_name or "default")
        if policy is None:
            return spec
        return dg.apply_freshness_policy(spec, policy, overwrite_existing=overwrite)

    return _apply


AssetsT = TypeVar("AssetsT", dg.AssetsDefinition, dg.AssetSpec)


def apply_freshness_policies(
    assets_defs: Iterable[AssetsT],
    policy_by_group: Mapping[str, dg.FreshnessPolicy] | None = None,
    *,
    overwrite: bool = False,
) -> list[AssetsT]:
    """`assets_defs` with the policy of its group set on every asset spec (multi-assets such as
    `@dbt_assets` included, spec by spec). Assets of other groups are unchanged, and so are assets that
    already have a policy unless `overwrite`. `policy_by_group` defaults to `freshness_policies()`.
    """
    policies = freshness_policies() if policy_by_group is None else policy_by_group
    return list(dg.map_asset_specs(_policy_mapper(policies, overwrite), list(assets_defs)))


def apply_freshness_policies_to_defs(
    defs: dg.Definitions,
    policy_by_group: Mapping[str, dg.FreshnessPolicy] | None = None,
    *,
    overwrite: bool = False,
) -> dg.Definitions:
    """The same on every asset of a `Definitions` (via `Definitions.map_asset_specs`)."""
    policies = freshness_policies() if policy_by_group is None else policy_by_group
    with warnings.catch_warnings():
        # 1.13's Definitions.map_asset_specs goes through the @preview map_resolved_asset_specs (we pass
        # no selection, which is the stable part); keep its PreviewWarning out of code location loads.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return defs.map_asset_specs(func=_policy_mapper(policies, overwrite))
