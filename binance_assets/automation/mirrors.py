"""Mirrors of the data.binance.vision layout that the landing sensor lists: a local folder or an S3 prefix.

No Dagster imports. Both list the `.zip.CHECKSUM` files under `DAILY_PREFIX` (`data/spot/daily/` while the
warehouse loads spot datasets only; `data/` once it loads more markets) with a time (the landing time) and
a version fingerprint, and answer whether a file exists and what a small file says.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from binance_assets.binance.datasets import raw_datasets

CHECKSUM_SUFFIX = ".CHECKSUM"
def daily_prefix() -> str:
    """Where the daily archives of the datasets the warehouse loads (the registry's) live in the layout."""
    markets = {ds.market for ds in raw_datasets()}
    return f"data/{markets.pop().value}/daily/" if len(markets) == 1 else "data/"


DAILY_PREFIX = daily_prefix()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ListedChecksum(NamedTuple):
    """One `.zip.CHECKSUM` in a listing: its mirror-relative path, time, and a version fingerprint."""

    relative_path: str
    mtime_ns: int
    fingerprint: str = ""  # changes when the file is rewritten (S3 ETag; local inode and size)


class MirrorSource(Protocol):
    def list_checksums(self) -> Iterable[ListedChecksum]:
        """Every `*.zip.CHECKSUM` under the scanned prefix (relative to the mirror's root)."""

    def exists(self, relative_path: str) -> bool: ...

    def read_text(self, relative_path: str) -> str: ...


@dataclass(frozen=True)
class LocalMirror:
    """A local folder in the data.binance.vision layout (e.g. the simulator's mirror)."""

    root: Path
    scan_prefix: str = DAILY_PREFIX

    def list_checksums(self) -> Iterator[ListedChecksum]:
        root = Path(self.root)
        yield from self._walk(root / self.scan_prefix, root)

    def _walk(self, folder: Path, root: Path) -> Iterator[ListedChecksum]:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.name.startswith("."):  # hidden and temporary files (.name.zip.XXXX.part)
                continue
            try:
                if entry.is_dir():
                    yield from self._walk(Path(entry.path), root)
                elif entry.name.endswith(".zip" + CHECKSUM_SUFFIX) and entry.is_file():
                    st = entry.stat()
                    rel = Path(entry.path).relative_to(root).as_posix()
                    yield ListedChecksum(rel, max(st.st_mtime_ns, st.st_ctime_ns), f"{st.st_ino}:{st.st_size}")
            except FileNotFoundError:  # removed while we looked
                continue

    def exists(self, relative_path: str) -> bool:
        return (Path(self.root) / relative_path).is_file()

    def read_text(self, relative_path: str) -> str:
        return (Path(self.root) / relative_path).read_text(encoding="utf-8", errors="replace")


@dataclass(frozen=True)
class S3Mirror:
    """An S3 prefix in the data.binance.vision layout; `client` is a boto3 S3 client."""

    client: Any
    bucket: str
    prefix: str = ""
    scan_prefix: str = DAILY_PREFIX
    _listed: set[str] = field(default_factory=set, init=False, compare=False, repr=False)

    @property
    def _root(self) -> str:
        prefix = self.prefix.strip("/")
        return f"{prefix}/" if prefix else ""

    def list_checksums(self) -> Iterator[ListedChecksum]:
        root = self._root
        self._listed.clear()
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=root + self.scan_prefix):
            for obj in page.get("Contents", ()):
                rel = obj["Key"][len(root) :]
                self._listed.add(rel)
                name = rel.rsplit("/", 1)[-1]
                if name.startswith(".") or not name.endswith(".zip" + CHECKSUM_SUFFIX):
                    continue
                mtime_ns = (obj["LastModified"] - _EPOCH) // timedelta(microseconds=1) * 1_000
                yield ListedChecksum(rel, mtime_ns, str(obj.get("ETag", "")).strip('"'))

    def exists(self, relative_path: str) -> bool:
        if relative_path in self._listed:
            return True
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._root + relative_path)
        except Exception as exc:  # botocore's ClientError (botocore comes with the client)
            if _is_not_found(exc):
                return False
            raise
        return True

    def read_text(self, relative_path: str) -> str:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._root + relative_path)["Body"]
        except Exception as exc:
            if _is_not_found(exc):
                raise FileNotFoundError(f"s3://{self.bucket}/{self._root}{relative_path}") from exc
            raise
        try:
            return body.read().decode("utf-8", errors="replace")
        finally:
            body.close()


def _is_not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "")) in ("404", "NoSuchKey", "NotFound")
