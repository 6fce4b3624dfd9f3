"""Archives dropped under an S3 landing prefix load like any other source (moto's S3 server on loopback):
the landing sensor's S3 mode and the raw assets read the same files."""

import datetime as dt

import pytest

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.binance.errors import ArchiveNotYetAvailable, ChecksumMismatch
from binance_assets.binance.reader import read_archive
from binance_assets.binance.schema import ArchiveKind
from binance_assets.binance.urls import ArchiveSpec

DAY = dt.date(2025, 1, 1)  # the first day of the automation tests' simulated mirror


def test_s3_prefix_loads_the_same_table_as_the_local_mirror(mirror, s3_client, bucket, upload_mirror, tmp_path):
    upload_mirror(mirror, "landing")
    client = ArchiveClient(f"s3://{bucket}/landing", tmp_path / "dl", tmp_path / "q", s3_client=s3_client)
    spec = ArchiveSpec(symbol="BTCUSDT", kind=ArchiveKind.TRADES, day=DAY)
    loaded = client.load(spec)
    assert loaded.fetched.url == f"s3://{bucket}/landing/{spec.relative_path}"
    assert loaded.contents.table.equals(read_archive(mirror / spec.relative_path).table)
    assert loaded.fetched.checksum_ok
    assert (tmp_path / "dl" / spec.relative_path).is_file()


def test_s3_missing_day_is_not_yet_available_and_a_bad_checksum_is_refused(
    mirror, s3_client, bucket, upload_mirror, tmp_path
):
    spec = ArchiveSpec(symbol="ETHUSDT", kind=ArchiveKind.KLINES, day=DAY)
    client = ArchiveClient(f"s3://{bucket}/landing", tmp_path / "dl", tmp_path / "q", s3_client=s3_client)
    with pytest.raises(ArchiveNotYetAvailable):
        client.load(spec)
    upload_mirror(mirror, "landing", [spec.relative_path])  # the zip without its CHECKSUM
    with pytest.raises(ArchiveNotYetAvailable, match="checksum not yet published"):
        client.load(spec)
    s3_client.put_object(Bucket=bucket, Key=f"landing/{spec.checksum_relative_path}",
                         Body=("0" * 64 + "  " + spec.file_name).encode())
    with pytest.raises(ChecksumMismatch):
        client.load(spec)
    assert list((tmp_path / "q").rglob(spec.file_name))
    assert not list((tmp_path / "dl").rglob("*.zip"))  # nothing half-downloaded stays behind
