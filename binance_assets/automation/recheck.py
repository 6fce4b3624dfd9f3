"""Replaced archives: Binance sometimes replaces a published file. No Dagster imports.

Every hour (`poller.RECHECK_INTERVAL`) the poller re-reads the `.CHECKSUM` of every archive of the
loaded days among the last `recheck_days` days (setting `BINANCE_ASSETS_RECHECK_DAYS`, 7) and requests a
reload of each (table, day, symbol) whose published sha256 is not the one in `raw.load_log`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import requests

from binance_assets.automation.poller import ProbeError
from binance_assets.binance.checksum import parse_checksum
from binance_assets.binance.errors import ChecksumFileError
from binance_assets.binance.urls import ArchiveSpec


def fetch_checksum(session: requests.Session, base_url: str, spec: ArchiveSpec, timeout: float = 30.0) -> str | None:
    """The sha256 in `spec`'s published `.CHECKSUM` (lower-case hex), None if it is not published (404).

    Raises ProbeError for any other answer or a checksum file that does not parse, and requests'
    exceptions for connection errors."""
    url = f"{base_url.rstrip('/')}/{spec.checksum_relative_path}"
    response = session.get(url, timeout=timeout)
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise ProbeError(f"{url}: HTTP {response.status_code}")
    try:
        sha256, name = parse_checksum(response.content)
    except ChecksumFileError as exc:
        raise ProbeError(f"{url}: {exc}") from exc
    if name != spec.file_name:
        raise ProbeError(f"{url}: names {name!r}, not {spec.file_name!r}")
    return sha256


def recheck_window(last_loaded: date | None, recheck_days: int) -> list[date]:
    """The `recheck_days` days up to the last loaded one, oldest first (none if nothing is loaded)."""
    if last_loaded is None or recheck_days <= 0:
        return []
    return [last_loaded - timedelta(days=n) for n in reversed(range(recheck_days))]


def replaced_archives(
    loaded: Mapping[ArchiveSpec, str | None], published: Mapping[ArchiveSpec, str | None]
) -> dict[ArchiveSpec, str]:
    """The archives whose published sha256 differs from the loaded one: {spec: new sha256}. An archive
    that was not loaded, or that has no published checksum (any more), is not a replacement."""
    return {
        spec: new
        for spec, old in loaded.items()
        if old and (new := published.get(spec)) and new.lower() != old.lower()
    }


