"""Dagster wiring of the merchant's C2C orders: the raw assets, their pandera check, the cursor sensor.

Partitions: one per UTC day of order creation; with more than one merchant account configured, one per
(day, account). `c2c_orders_sensor` (every 5 minutes) requests today's partition, every day that still
has orders in a non-final status (the trailing re-read that catches status changes), and walks back
through days never loaded, at most `BACKFILL_DAYS_PER_TICK` a tick, no further than Binance's 6 months.
"""

import datetime as dt
import json

import dagster as dg
import pandera.errors

from binance_assets.lib.defaults import sensor_status
from binance_assets.lib.keys import WAREHOUSE_POOL
from binance_assets.lib.resources import WarehouseResource
from binance_assets.lib.rest_resources import account_resource_key
from binance_assets.merchant.c2c_load import HISTORY_TABLE, LOOKBACK_DAYS, ORDERS_TABLE, load_c2c_day, open_days
from binance_assets.merchant.dbt_assets import build_merchant_dbt_assets
from binance_assets.merchant.schemas import validate_orders
from binance_assets.settings import Settings

MERCHANT_GROUP = "merchant"
ORDERS_KEY = dg.AssetKey(["raw", "c2c_orders"])
HISTORY_KEY = dg.AssetKey(["raw", "c2c_order_status_history"])
C2C_JOB = "load_c2c_orders"
MARTS_JOB = "merchant_marts"
C2C_SENSOR = "c2c_orders_sensor"
DATE_DIMENSION, ACCOUNT_DIMENSION = "date", "account"
BACKFILL_DAYS_PER_TICK = 14
REREAD_DAYS = 7  # how far back non-final orders are re-read


def c2c_partitions(settings: Settings) -> dg.PartitionsDefinition:
    daily = dg.DailyPartitionsDefinition(start_date=settings.start_date.isoformat())
    if len(settings.merchant_accounts) > 1:
        return dg.MultiPartitionsDefinition(
            {DATE_DIMENSION: daily, ACCOUNT_DIMENSION: dg.StaticPartitionsDefinition(list(settings.merchant_accounts))}
        )
    return daily


def partition_key(settings: Settings, day: dt.date, account: str) -> str:
    if len(settings.merchant_accounts) > 1:
        return dg.MultiPartitionKey({DATE_DIMENSION: day.isoformat(), ACCOUNT_DIMENSION: account})
    return day.isoformat()


def parse_partition(settings: Settings, key: str) -> tuple[dt.date, str]:
    if isinstance(key, dg.MultiPartitionKey):
        dims = key.keys_by_dimension
        return dt.date.fromisoformat(dims[DATE_DIMENSION]), dims[ACCOUNT_DIMENSION]
    return dt.date.fromisoformat(str(key)), settings.merchant_accounts[0]


def build_c2c_assets(settings: Settings) -> dg.AssetsDefinition:
    partitions = c2c_partitions(settings)
    resource_keys = {"warehouse", *(account_resource_key(a) for a in settings.merchant_accounts)}

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                ORDERS_KEY,
                group_name=MERCHANT_GROUP,
                description="The merchant's C2C (P2P) orders, latest status per order, by creation day.",
                kinds={"python", "binance"},
                owners=["team:data-platform"],
                tags={"layer": "raw"},
                metadata={"dagster/table_name": ORDERS_TABLE},
            ),
            dg.AssetSpec(
                HISTORY_KEY,
                group_name=MERCHANT_GROUP,
                description="Every status each C2C order was observed in, with when it was first seen.",
                kinds={"python", "binance"},
                owners=["team:data-platform"],
                tags={"layer": "raw"},
                metadata={"dagster/table_name": HISTORY_TABLE},
            ),
        ],
        partitions_def=partitions,
        pool=WAREHOUSE_POOL,
        required_resource_keys=resource_keys,
        name="c2c_orders",
    )
    def _c2c(context: dg.AssetExecutionContext):
        day, account = parse_partition(settings, context.partition_key)
        client = getattr(context.resources, account_resource_key(account)).client()
        warehouse = context.resources.warehouse.get()
        try:
            load = load_c2c_day(client, warehouse, account, day, validate=validate_orders)
        except pandera.errors.SchemaErrors as exc:
            cases = exc.failure_cases.head(20).astype(str).to_dict(orient="records")
            raise dg.Failure(
                description=f"C2C orders of {account} on {day} refused by the pandera model: nothing was written",
                metadata={"failure_cases": dg.MetadataValue.json(cases), "failures": len(exc.failure_cases)},
                allow_retries=False,
            ) from None
        metadata = {
            "account": account,
            "orders": load.orders,
            "new_orders": load.new_orders,
            "status_changes": load.status_changes,
            "open_orders": load.open_orders,
            "requests": load.requests,
            "dagster/row_count": load.orders,
        }
        yield dg.MaterializeResult(asset_key=ORDERS_KEY, metadata=metadata)
        yield dg.MaterializeResult(asset_key=HISTORY_KEY, metadata={"status_changes": load.status_changes})

    return _c2c


def build_c2c_check(settings: Settings) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=ORDERS_KEY,
        name="pandera_schema",
        description="pandera model: known statuses and fiats, unique order numbers, amount x unit price = total.",
        blocking=True,
        partitions_def=c2c_partitions(settings),
        pool=WAREHOUSE_POOL,
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        day, account = parse_partition(settings, context.partition_key)
        wh = warehouse.get()
        if not wh.table_exists(ORDERS_TABLE):
            return dg.AssetCheckResult(passed=True, metadata={"rows": 0})
        frame = wh.read_table(ORDERS_TABLE, symbols=[account], start=day, end=day, order_by=["order_number"])
        try:
            validate_orders(frame)
        except pandera.errors.SchemaErrors as exc:
            cases = exc.failure_cases.head(20).astype(str).to_dict(orient="records")
            return dg.AssetCheckResult(
                passed=False, metadata={"rows": len(frame), "failure_cases": dg.MetadataValue.json(cases)}
            )
        return dg.AssetCheckResult(passed=True, metadata={"rows": len(frame)})

    return _check


def days_to_request(
    today: dt.date, start: dt.date, backfilled_to: dt.date | None, open_: list[dt.date]
) -> tuple[list[dt.date], dt.date]:
    """Today (and yesterday), the days with open orders, and the next backfill days; the new backfill mark."""
    horizon = max(start, today - dt.timedelta(days=LOOKBACK_DAYS - 1))
    wanted = {today, today - dt.timedelta(days=1), *(d for d in open_ if d >= today - dt.timedelta(days=REREAD_DAYS))}
    mark = backfilled_to if backfilled_to is not None else today - dt.timedelta(days=1)
    for _ in range(BACKFILL_DAYS_PER_TICK):
        if mark - dt.timedelta(days=1) < horizon:
            break
        mark -= dt.timedelta(days=1)
        wanted.add(mark)
    return sorted(d for d in wanted if d >= start), mark


def build_c2c_sensor(settings: Settings, job) -> dg.SensorDefinition:
    @dg.sensor(
        name=C2C_SENSOR,
        job=job,
        minimum_interval_seconds=300,
        default_status=sensor_status(C2C_SENSOR, settings.env),
        description="Loads the merchant's C2C orders: today, days with open orders, and a 6-month backfill.",
    )
    def _sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        if not settings.merchant_accounts:
            return dg.SkipReason("no merchant account configured (BINANCE_ASSETS_MERCHANT_ACCOUNTS)")
        cursor = json.loads(context.cursor) if context.cursor else {}
        now = dt.datetime.now(dt.UTC)
        today = now.date()
        tick = now.strftime("%Y%m%dT%H%M")
        wh = warehouse.get()
        requests = []
        for account in settings.merchant_accounts:
            marked = cursor.get(account)
            open_ = open_days(wh, account, today - dt.timedelta(days=REREAD_DAYS))
            days, mark = days_to_request(
                today, settings.start_date, dt.date.fromisoformat(marked) if marked else None, open_
            )
            cursor[account] = mark.isoformat()
            for day in days:
                requests.append(
                    dg.RunRequest(
                        run_key=f"c2c:{account}:{day.isoformat()}:{tick}",
                        partition_key=partition_key(settings, day, account),
                        tags={"binance/merchant_account": account},
                    )
                )
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(cursor, sort_keys=True))

    return _sensor


def build_merchant_defs(settings: Settings) -> dg.Definitions:
    """The merchant marts always (empty without a merchant); the C2C loader with a merchant account."""
    marts = build_merchant_dbt_assets(dg.DailyPartitionsDefinition(start_date=settings.start_date.isoformat()))
    marts_job = dg.define_asset_job(
        MARTS_JOB, selection=dg.AssetSelection.assets(marts), description="Rebuild the merchant marts of a day."
    )
    if not settings.merchant_accounts:
        return dg.Definitions(assets=[marts], jobs=[marts_job])
    assets = build_c2c_assets(settings)
    job = dg.define_asset_job(
        C2C_JOB,
        selection=dg.AssetSelection.assets(ORDERS_KEY, HISTORY_KEY),
        partitions_def=c2c_partitions(settings),
        description="Load one day (and account) of the merchant's C2C orders and check them.",
    )
    return dg.Definitions(
        assets=[assets, marts],
        asset_checks=[build_c2c_check(settings)],
        jobs=[job, marts_job],
        sensors=[build_c2c_sensor(settings, job)],
    )
