"""Names every domain shares: the raw asset keys and the warehouse pool."""

import dagster as dg

RAW_GROUP = "raw"
# Every step that writes the warehouse takes a slot of this pool. The local instance gives it one
# slot, because DuckDB allows one writing process at a time (the warehouse also holds a file lock).
WAREHOUSE_POOL = "warehouse"


def raw_asset_key(table_name: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_GROUP, table_name])
