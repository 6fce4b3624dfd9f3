"""Synthetic feature tables with and without a learnable signal, registries on disk and on moto S3."""

from __future__ import annotations

import datetime as dt
import socket
import uuid

import boto3
import numpy as np
import pandas as pd
import pytest
from moto.server import ThreadedMotoServer

from binance_assets.features.compute import FEATURE_COLUMNS
from binance_assets.ml.registry import LocalModelRegistry, S3ModelRegistry

START = dt.date(2024, 3, 1)


def synthetic_features(
    *, minutes: int = 2400, symbols=("BTCUSDT", "ETHUSDT", "BNBUSDT"), signal: float = 1.0, seed: int = 0
) -> pd.DataFrame:
    """A feature table in the shape of compute_minute_features' output (random features, some nulls).

    With ``signal`` > 0 the forward return depends on ``taker_imbalance_5m`` and ``log_ret_5m``; with 0
    the labels are pure noise, independent of every feature.
    """
    rng = np.random.default_rng(seed)
    minute = pd.date_range(pd.Timestamp(START), periods=minutes, freq="min", unit="us")
    frames = []
    for symbol in symbols:
        data = {name: rng.normal(0.0, 1.0, minutes) for name in FEATURE_COLUMNS}
        data["log_ret_60m"][rng.uniform(size=minutes) < 0.05] = np.nan  # nulls are imputed in the pipeline
        noise = rng.normal(0.0, 1.0, minutes)
        ret = 1e-3 * (signal * (1.5 * data["taker_imbalance_5m"] - 0.8 * data["log_ret_5m"]) + noise)
        ret[-5:] = np.nan  # the day's last minutes have no label
        frame = pd.DataFrame({"symbol": pd.Series([symbol] * minutes, dtype="str"), "minute": minute, **data})
        frame.insert(1, "trade_date", [m.date() for m in minute])
        frame["label_forward_return"] = ret
        frame["label_up"] = pd.array(np.where(np.isnan(ret), None, ret > 0), dtype="boolean")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="session")
def signal_frame() -> pd.DataFrame:
    return synthetic_features(signal=1.0, seed=1)


@pytest.fixture(scope="session")
def noise_frame() -> pd.DataFrame:
    return synthetic_features(signal=0.0, seed=2, minutes=6000)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto in server mode on loopback (a real HTTP endpoint, as in CI), for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_client(moto_endpoint, monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    return boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
def s3_bucket(s3_client) -> str:
    bucket = f"models-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture(params=["local", "s3"])
def registry(request, tmp_path):
    if request.param == "local":
        return LocalModelRegistry(tmp_path / "registry")
    client = request.getfixturevalue("s3_client")
    return S3ModelRegistry(bucket=request.getfixturevalue("s3_bucket"), prefix="ml/registry", client=client)
