-- One row per aggregated trade (the fills of one taker order at one price). Renames and casts only.
{{ stg_agg_trades('spot_agg_trades') }}
