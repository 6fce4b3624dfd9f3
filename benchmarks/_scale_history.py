"""History for benchmarks/scale.py: the partition keys of the last days of every partitioned asset, read off the
assets' own partitions definitions, recorded in a Dagster instance as runless materializations.

Nothing here knows how the project partitions its assets: a daily time dimension alone or beside static
dimensions (day x symbol, day x bucket), as the asset graph says (`dg.Definitions.resolve_asset_graph()` or
the workspace's remote graph: both have `toposorted_asset_keys` and `get(key).partitions_def`).

Events go through Dagster's public `instance.report_runless_asset_event`. On SQLite storage (the embedded
default) each event would open two connections and commit twice (~13 ms an event here); `one_transaction`
gives the storage one connection per shard for a whole batch instead, so a batch is one commit (~1.7 ms an
event). It swaps the storage's per-call connection factory (an internal: `SqliteEventLogStorage._connect`);
a Dagster upgrade that changes it fails tests/test_benchmarks_smoke.py, not the figures silently.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator, Sequence

import dagster as dg

SOURCE = {"source": "benchmarks/scale.py"}


def time_dimension(partitions_def: dg.PartitionsDefinition) -> tuple[str | None, dg.TimeWindowPartitionsDefinition]:
    """(dimension name or None, the time window partitions) of a daily or multi-partitioned definition."""
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return None, partitions_def
    if isinstance(partitions_def, dg.MultiPartitionsDefinition) and partitions_def.has_time_window_dimension:
        dim = partitions_def.time_window_dimension
        return dim.name, dim.partitions_def  # type: ignore[return-value]
    raise ValueError(f"no time dimension in {partitions_def!r}: scale.py measures day-partitioned assets")


def last_days(partitions_def: dg.PartitionsDefinition, count: int) -> list[str]:
    """The time dimension's last `count` partition keys (the newest last)."""
    _, days = time_dimension(partitions_def)
    keys = days.get_partition_keys()
    if len(keys) < count:
        raise ValueError(f"{count} days asked, the partitions have {len(keys)} (start {days.start:%Y-%m-%d})")
    return list(keys[-count:])


def keys_on_day(partitions_def: dg.PartitionsDefinition, day: str, instance: dg.DagsterInstance) -> list[str]:
    """Every partition key of `day`: the day itself, or the day with each key of the other dimensions."""
    name, _ = time_dimension(partitions_def)
    if name is None:
        return [day]
    assert isinstance(partitions_def, dg.MultiPartitionsDefinition)
    others = [d for d in partitions_def.partitions_defs if d.name != name]
    if any(isinstance(d.partitions_def, dg.DynamicPartitionsDefinition) for d in others):
        raise ValueError(f"dynamic dimensions in {partitions_def!r}: add their keys to the instance first")
    per_dim = [d.partitions_def.get_partition_keys(dynamic_partitions_store=instance) for d in others]
    return [
        dg.MultiPartitionKey({name: day, **{d.name: k for d, k in zip(others, combo, strict=True)}})
        for combo in itertools.product(*per_dim)
    ]


def day_partitioned(graph) -> list[dg.AssetKey]:
    """Materializable assets with a time dimension, upstream first."""
    keys = []
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        if node.is_materializable and node.partitions_def is not None:
            with contextlib.suppress(ValueError):
                time_dimension(node.partitions_def)
                keys.append(key)
    return keys


def raw_keys(graph) -> list[dg.AssetKey]:
    """The raw assets (key prefix `raw`) among the day-partitioned ones."""
    return [key for key in day_partitioned(graph) if key.path[0] == "raw"]


def partitions_per_asset(graph, key: dg.AssetKey) -> int:
    return graph.get(key).partitions_def.get_num_partitions()


@contextlib.contextmanager
def one_transaction(instance: dg.DagsterInstance) -> Iterator[None]:
    """Inside, the instance's SQLite event storage writes through one connection (one transaction) per shard."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    storage = instance.event_log_storage
    if not isinstance(storage, SqliteEventLogStorage):
        yield
        return
    original, lock = storage._connect, storage._db_lock
    connections: dict[str, object] = {}
    with contextlib.ExitStack() as stack:
        @contextlib.contextmanager
        def shared(shard: str):
            if shard not in connections:
                connections[shard] = stack.enter_context(original(shard))
            yield connections[shard]

        storage._db_lock = threading.RLock()  # `_connect` holds it while its connection is open
        storage._connect = shared
        try:
            yield
        finally:
            del storage._connect
            storage._db_lock = lock


def record_days(instance: dg.DagsterInstance, graph, keys: Sequence[dg.AssetKey], days: int, *, skip_last: int = 0,
                checks: bool = False) -> int:
    """Materialize `keys` (upstream first) on each of their last `days` days but the last `skip_last`, a day at a
    time in one transaction; with `checks`, each blocking check of theirs passes on each partition. Returns the
    number of events."""
    per_key = {key: last_days(graph.get(key).partitions_def, days + skip_last)[:days] for key in keys}
    events = 0
    for i in range(days):
        with one_transaction(instance):
            for key in keys:
                node = graph.get(key)
                partitions = keys_on_day(node.partitions_def, per_key[key][i], instance)
                for partition in partitions:
                    instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=partition,
                                                                                metadata=SOURCE))
                events += len(partitions)
                if checks:
                    events += _pass_blocking_checks(instance, graph, key, partitions)
    return events


def _pass_blocking_checks(instance: dg.DagsterInstance, graph, key: dg.AssetKey, partitions: list[str]) -> int:
    blocking = [graph.get(c) for c in sorted(graph.get(key).check_keys) if graph.get(c).blocking]
    for check in blocking:
        for partition in partitions:
            instance.report_runless_asset_event(dg.AssetCheckEvaluation(
                asset_key=key, check_name=check.key.name, passed=True, partition=partition, metadata=SOURCE,
            ))
    return len(blocking) * len(partitions)
