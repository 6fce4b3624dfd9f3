-- One row per USD-M futures aggregated trade (the fills of one taker order at one price). Renames and casts only.
{{ stg_agg_trades('um_agg_trades') }}
