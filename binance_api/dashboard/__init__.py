"""The web dashboard under /dashboard: Market, Data health and Models pages over the serving API's reads.

Everything it needs ships in this package (templates, CSS, scripts, the vendored chart library): no CDN,
no front-end build step. No Dagster import: check outcomes are read from the Dagster instance's storage
with SQL (`dagster_storage`), models from the registry's files (`models`).
"""
