"""Where the registry keeps its bytes: a local folder or an S3 prefix (same layout)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from binance_assets.model_registry.registry import ModelRegistry


class LocalModelRegistry(ModelRegistry):
    """The registry in a local folder (created on first write)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalModelRegistry({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*[p for p in key.split("/") if p])

    def _read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def _temp(self, path: Path, data: bytes) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return Path(tmp)

    def _write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        os.replace(self._temp(path, data), path)

    def _create(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        tmp = self._temp(path, data)
        try:
            os.link(tmp, path)  # atomic, fails if path exists
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)

    def _children(self, prefix: str) -> list[str]:
        folder = self._path(prefix)
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


class S3ModelRegistry(ModelRegistry):
    """The registry under ``s3://bucket/prefix`` through a boto3 S3 client (same layout as local)."""

    def __init__(self, bucket: str, prefix: str, client) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client

    def __repr__(self) -> str:
        return f"S3ModelRegistry('s3://{self.bucket}/{self.prefix}')"

    def _s3_key(self, key: str) -> str:
        key = key.strip("/")
        return f"{self.prefix}/{key}" if self.prefix else key

    def _read(self, key: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._s3_key(key))
        except self.client.exceptions.NoSuchKey:
            return None
        return response["Body"].read()

    def _write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._s3_key(key), Body=data)

    def _create(self, key: str, data: bytes) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._s3_key(key), Body=data, IfNoneMatch="*")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"PreconditionFailed", "ConditionalRequestConflict"}:
                return False
            raise
        return True

    def _children(self, prefix: str) -> list[str]:
        folder = "/".join(p for p in (self.prefix, prefix.strip("/")) if p)
        folder = f"{folder}/" if folder else ""
        names: set[str] = set()
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=folder, Delimiter="/"):
            names.update(p["Prefix"][len(folder) :].rstrip("/") for p in page.get("CommonPrefixes", []))
            names.update(o["Key"][len(folder) :] for o in page.get("Contents", []))
        return sorted(n for n in names if n)
