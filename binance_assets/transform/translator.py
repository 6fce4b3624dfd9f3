"""How dbt nodes appear in Dagster: sources are the raw assets; models are keyed and grouped by layer."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from binance_assets.lib.conditions import partition_refresh
from binance_assets.lib.keys import raw_asset_key

LAYERS = ("staging", "intermediate", "marts")


class BinanceDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # The source raw.spot_trades is the asset the ingestion layer materializes.
            return raw_asset_key(dbt_resource_props["name"])
        layer = self._layer(dbt_resource_props)
        if layer:
            return dg.AssetKey([layer, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return partition_refresh()

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return self._layer(dbt_resource_props) or super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        owner = (dbt_resource_props.get("config", {}).get("meta") or {}).get("owner")
        return [owner] if owner else super().get_owners(dbt_resource_props) or []

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        layer = self._layer(dbt_resource_props)
        if layer:
            tags["layer"] = layer
        return tags

    @staticmethod
    def _layer(dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 and fqn[1] in LAYERS else None
