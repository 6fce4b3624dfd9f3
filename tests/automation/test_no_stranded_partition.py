"""Automation never strands a partition: dependencies updated while other runs are in progress (the overlap
of a live day: landing runs of several files, automation runs, one warehouse pool) still end with every
partition requested once it is free.

Real overlap, not a mock: a run of the upstream asset is held in progress (its step waits on an event, in a
thread, on the same instance) while the upstream is updated by other runs; the automation conditions of the
platform (`lib.conditions.partition_refresh`) are evaluated on every step, as the daemon would."""

import datetime as dt
import threading

import dagster as dg

from binance_assets.lib.conditions import partition_refresh

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01")
D1, D2 = "2025-01-01", "2025-01-02"
NOW = dt.datetime(2025, 1, 5, 12, tzinfo=dt.UTC)
RELEASE = threading.Event()
STARTED = threading.Event()


@dg.asset(partitions_def=DAYS, key=["marts", "bars"])
def bars(context: dg.AssetExecutionContext) -> None:
    if context.run.tags.get("hold") == "yes":
        STARTED.set()
        assert RELEASE.wait(60)


@dg.asset(partitions_def=DAYS, key=["features", "f"], deps=[bars], automation_condition=partition_refresh())
def features() -> None:
    return None


@dg.asset(partitions_def=DAYS, key=["ml", "p"], deps=[features], automation_condition=partition_refresh())
def predictions() -> None:
    return None


DEFS = dg.Definitions(assets=[bars, features, predictions])


def tick(instance, cursor):
    result = dg.evaluate_automation_conditions(defs=DEFS, instance=instance, cursor=cursor, evaluation_time=NOW)
    wanted = {(key.to_user_string(), str(p)) for key in (features.key, predictions.key)
              for p in result.get_requested_partitions(key)}
    return wanted, result.cursor


def run(instance, keys, partition, **tags):
    return dg.materialize([bars, features, predictions], selection=keys, partition_key=partition,
                          instance=instance, tags=tags)


def settle(instance, cursor, rounds: int = 10):
    """Tick and run what is requested (one run per partition, as the daemon launches them) until quiet."""
    for _ in range(rounds):
        wanted, cursor = tick(instance, cursor)
        if not wanted:
            return cursor
        for partition in sorted({p for _, p in wanted}):
            keys = [dg.AssetKey.from_user_string(k) for k, p in sorted(wanted) if p == partition]
            assert run(instance, keys, partition).success
    raise AssertionError(f"automation still requesting after {rounds} rounds")


def latest(instance, key: dg.AssetKey, partition: str) -> float:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1).records
    assert records, f"{key.to_user_string()} {partition} was never built: stranded"
    return records[0].timestamp


def assert_nothing_stranded(instance) -> None:
    """Every partition of every automated asset was built after its upstream's latest update."""
    for upstream, asset in ((bars.key, features.key), (features.key, predictions.key)):
        for partition in (D1, D2):
            assert latest(instance, asset, partition) >= latest(instance, upstream, partition), (asset, partition)


def test_partitions_updated_while_runs_are_in_progress_are_requested_once_free():
    with dg.instance_for_test() as instance:
        _, cursor = tick(instance, None)
        assert run(instance, [bars.key, features.key, predictions.key], D1).success
        cursor = settle(instance, cursor)
        # A run of day 2's bars starts and is held in progress (a landing run on a busy pool)...
        STARTED.clear(), RELEASE.clear()
        held = threading.Thread(target=lambda: run(instance, [bars.key], D2, hold="yes"))
        held.start()
        try:
            assert STARTED.wait(60)
            # ...while other runs update the bars of both days (another file of day 2 landed, a replaced
            # archive of day 1) and automation keeps ticking and running what it asks for.
            assert run(instance, [bars.key], D2).success
            assert run(instance, [bars.key], D1).success
            cursor = settle(instance, cursor)
        finally:
            RELEASE.set()
            held.join(60)
        # The held run finished last: its bars are the newest. Once it is over, nothing may stay behind them.
        cursor = settle(instance, cursor)
        assert_nothing_stranded(instance)
        wanted, _ = tick(instance, cursor)
        assert wanted == set()
