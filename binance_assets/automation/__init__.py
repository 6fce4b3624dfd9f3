"""Automation: declarative automation conditions (`conditions`), finding newly landed archives
(`landing`), polling data.binance.vision (`poller`), and the Dagster sensors that turn new archives
into runs of exactly the new partitions (`sensors`).

`landing` and `poller` have no Dagster imports; `sensors` is the thin Dagster wiring.
"""
