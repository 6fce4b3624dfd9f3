"""Operations commands behind the CLI: `binance-assets check` (data quality of the latest partitions) and
`binance-assets smoke` (post-deploy smoke test of the serving API)."""
