"""`raw/symbol_universe`: the exchange's symbols, refreshed daily from exchangeInfo into `raw.symbol_universe`.

Every day-partitioned step reads the day's symbols from it (`lib.partitions.universe_on`): a symbol listed on
day D is expected from D, a delisted one until its last trading day, filtered by the settings (allow-list
`BINANCE_ASSETS_SYMBOLS`, quote assets, deny-list, minimum volume). The `daily_symbol_universe` schedule
refreshes it just after midnight UTC. In production the source is Binance's REST API; in the embedded default,
the exchangeInfo the simulator wrote into the mirror. A mirror without one (`binance-assets simulate` without
`--universe`) leaves the universe to the allow-list, and says so. With the REST source, the USD-M symbols
(`BINANCE_ASSETS_UM_SYMBOLS`) are checked against `/fapi/v1/exchangeInfo` (TRADING perpetuals,
`binance.um_universe`): an unknown one fails the refresh with an error naming it.
"""

import dagster as dg

from binance_assets.binance.errors import UniverseError
from binance_assets.binance.rest_client import BinanceRestClient
from binance_assets.binance.um_universe import check_um_symbols
from binance_assets.binance.universe_source import MirrorUniverseSource, RestUniverseSource, source_from_settings
from binance_assets.lib.keys import RAW_GROUP, WAREHOUSE_POOL
from binance_assets.lib.resources import WarehouseResource
from binance_assets.settings import Settings
from binance_assets.warehouse.table_names import SYMBOL_UNIVERSE_TABLE
from binance_assets.warehouse.universe import refresh_universe, universe_for

SYMBOL_UNIVERSE_KEY = dg.AssetKey([RAW_GROUP, "symbol_universe"])
UNIVERSE_SCHEDULE = "daily_symbol_universe"
CRON_UNIVERSE = "5 0 * * *"  # just after midnight UTC: the new day's listings before its archives land


def build_universe_asset(settings: Settings) -> dg.AssetsDefinition:
    @dg.asset(
        key=SYMBOL_UNIVERSE_KEY,
        group_name=RAW_GROUP,
        pool=WAREHOUSE_POOL,
        kinds={"python", "binance"},
        owners=["team:data-platform"],
        tags={"layer": "raw"},
        description=(
            "The exchange's symbols with Binance's status (TRADING, BREAK), first and last trading day and "
            "24h quote volume, from exchangeInfo; the day-partitioned runs load, build and score each day's "
            "symbols from it (after the settings' filters)."
        ),
        metadata={"dagster/table_name": SYMBOL_UNIVERSE_TABLE},
    )
    def symbol_universe(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        wh = warehouse.get()
        source = source_from_settings(settings)
        try:
            recorded = refresh_universe(wh, source)
        except UniverseError as exc:
            if not (isinstance(source, MirrorUniverseSource) and settings.symbols):
                raise dg.Failure(f"the symbol universe could not be refreshed: {exc}", allow_retries=False) from exc
            context.log.warning(f"{exc}; the universe is the allow-list BINANCE_ASSETS_SYMBOLS")
            recorded = None
        um = "none" if not settings.um_symbols else "not checked (no /fapi/v1/exchangeInfo in a mirror)"
        if isinstance(source, RestUniverseSource) and settings.um_symbols:
            futures = BinanceRestClient(settings.rest_um_base_url, weight_share=settings.rest_weight_share)
            try:
                um = ", ".join(check_um_symbols(settings.um_symbols, futures.um_exchange_info()))
            except UniverseError as exc:
                raise dg.Failure(str(exc), allow_retries=False) from exc
        universe = universe_for(settings, wh)
        statuses = {}
        for listing in universe.listings:
            statuses[listing.status] = statuses.get(listing.status, 0) + 1
        return dg.MaterializeResult(metadata={
            "source": repr(source) if recorded is not None else "allow-list (no exchangeInfo in the mirror)",
            "exchange_symbols": len(recorded) if recorded is not None else 0,
            "symbols": len(universe),
            "by_status": dg.MetadataValue.json(statuses),
            "um_symbols": um,
        })

    return symbol_universe
