"""Pure Binance I/O library: archive formats, archive client, simulator. No Dagster imports.

Modules: `datasets` (the dataset registry: one declaration per Binance dataset), `reader` (parse one
archive), `checksum`, `urls` (ArchiveSpec), `archive_client` (fetch, verify, quarantine, load),
`simulator` (deterministic local mirror), `inspect` (CLI summary).
"""
