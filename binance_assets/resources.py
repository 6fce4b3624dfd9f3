"""The resources of a code location: one place that maps an environment to them (hooli's per-env dicts).

The resource classes live in `binance_assets.lib.resources` (every domain uses them); the dbt resource in
`binance_assets.transform.dbt_resource`; the REST clients in `binance_assets.lib.rest_resources`. Secrets
only by reference (`dg.EnvVar`): see `binance_assets.lib.resources`.
"""

from __future__ import annotations

import dagster as dg

from binance_assets.lib.resources import alert_webhook_resource, archive_resource, warehouse_resource
from binance_assets.lib.rest_resources import rest_resources
from binance_assets.settings import Settings, get_settings


def resources_for(settings: Settings | None = None) -> dict[str, dg.ConfigurableResource]:
    # dagster-dbt (it imports dbt) and dagster-aws take seconds to import: only the market_data location,
    # which runs dbt, imports them; the ml location's run processes (this module, not this function) start
    # without them.
    from binance_assets.transform.dbt_resource import dbt_cli_resource

    settings = settings or get_settings()
    warehouse = warehouse_resource(settings)
    return {
        **rest_resources(settings),
        "warehouse": warehouse,
        "archive": archive_resource(settings),
        "alert_webhook": alert_webhook_resource(),
        "dbt": dbt_cli_resource(warehouse.dbt_target),
    }
