"""The model registry as a Dagster resource: a local folder (embedded default) or an S3 prefix."""

from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg

from binance_assets.model_registry.registry import ModelRegistry
from binance_assets.model_registry.stores import LocalModelRegistry, S3ModelRegistry
from binance_assets.settings import Settings


class ModelRegistryResource(dg.ConfigurableResource):
    """`url` is a folder path or `s3://bucket/prefix`; `s3_endpoint_url` points S3 at e.g. a moto server."""

    url: str
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"

    def get(self) -> ModelRegistry:
        return registry_from_url(self.url, s3_endpoint_url=self.s3_endpoint_url, s3_region=self.s3_region)


def registry_from_url(url: str, *, s3_endpoint_url: str | None = None, s3_region: str = "us-east-1") -> ModelRegistry:
    parts = urlsplit(url)
    if parts.scheme == "s3":
        from dagster_aws.s3 import S3Resource  # seconds to import: not in every ml run's process start

        client = S3Resource(endpoint_url=s3_endpoint_url, region_name=s3_region).get_client()
        return S3ModelRegistry(bucket=parts.netloc, prefix=parts.path.strip("/"), client=client)
    return LocalModelRegistry(Path(url))


def model_registry_resource(settings: Settings) -> ModelRegistryResource:
    return ModelRegistryResource(url=settings.resolved_model_registry_url, s3_endpoint_url=settings.s3_endpoint_url)
