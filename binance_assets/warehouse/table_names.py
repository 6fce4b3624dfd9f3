"""The derived tables' qualified names, one constant each: dbt's marts (dbt_project/models/marts), the feature
table and the ML tables. Python anywhere in the platform or the API names a derived table through these (dbt's own
SQL names its models). The raw tables' names are binance_assets.warehouse.tables' (`RawTable.qualified_name`,
`RAW_SCHEMA`, `LOAD_LOG_TABLE`, `PUBLISH_LOG_TABLE`; `raw.load_log` qualified is binance_assets.warehouse.load_log's
`LOAD_LOG`). No imports: every layer may read it."""

from __future__ import annotations

BARS_1M_TABLE = "marts.fct_bars_1m"
UM_BARS_1M_TABLE = "marts.fct_um_bars_1m"  # USD-M futures
SYMBOL_DAILY_TABLE = "marts.fct_symbol_daily"
DATA_GAPS_TABLE = "marts.fct_data_gaps"
MERCHANT_DAILY_TABLE = "marts.fct_merchant_daily"
FEATURES_TABLE = "features.minute_features"
PREDICTIONS_TABLE = "ml.predictions"
SHADOW_PREDICTIONS_TABLE = "ml.shadow_predictions"
# The symbol universe (one row per symbol, from exchangeInfo): declared in binance_assets/warehouse/universe.py.
SYMBOL_UNIVERSE_TABLE = "raw.symbol_universe"
