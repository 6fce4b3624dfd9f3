"""Synthetic feature tables with and without a learnable signal, registries on disk and on moto S3."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pandas as pd
import pytest

from binance_assets.features.compute import FEATURE_COLUMNS
from binance_assets.model_registry.stores import LocalModelRegistry, S3ModelRegistry

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


@pytest.fixture(scope="session")
def canary_frame() -> pd.DataFrame:
    """Seven days (START..START+6) of BTCUSDT, the first 120 minutes of each, whose forward return is
    1e-3 * taker_imbalance_5m, positive on exactly 48 of each day's 120 minutes (40% up): a model reading
    that feature is right on every minute, a constant "down" on 60% of them, a constant "up" on 40%."""
    frame = synthetic_features(minutes=1440 * 7, symbols=("BTCUSDT",), seed=5)
    frame = frame[frame["minute"].dt.hour * 60 + frame["minute"].dt.minute < 120].reset_index(drop=True)
    rng = np.random.default_rng(5)
    signs = np.concatenate([rng.permutation([1.0] * 48 + [-1.0] * 72) for _ in range(7)])
    frame["taker_imbalance_5m"] = signs * rng.uniform(0.1, 2.0, len(frame))
    ret = 1e-3 * frame["taker_imbalance_5m"].to_numpy()
    frame["label_forward_return"] = ret
    frame["label_up"] = pd.array(ret > 0, dtype="boolean")
    return frame
