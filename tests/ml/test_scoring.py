"""Scoring with a registered model, and refusal of frames whose feature schema differs from the card's."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from binance_assets.features.compute import FEATURE_COLUMNS
from binance_assets.ml.card_build import build_card
from binance_assets.ml.scoring import (
    SCORE_COLUMNS,
    FeatureSchemaMismatch,
    dtype_kind,
    feature_schema_hash,
    score,
)
from binance_assets.ml.training import train_direction_classifier, train_return_regressor


@pytest.fixture(scope="module")
def classifier(signal_frame):
    trained = train_direction_classifier(signal_frame, FEATURE_COLUMNS, params={"estimator": "linear"}, n_splits=2)
    return trained, build_card("clf", trained, signal_frame)


@pytest.fixture(scope="module")
def regressor(signal_frame):
    trained = train_return_regressor(signal_frame, FEATURE_COLUMNS, params={"estimator": "ridge"}, n_splits=2)
    return trained, build_card("reg", trained, signal_frame)


def test_schema_hash_is_stable_and_canonical(signal_frame):
    frame = signal_frame[FEATURE_COLUMNS]
    h = feature_schema_hash(frame, FEATURE_COLUMNS)
    assert h == feature_schema_hash({c: "float64" for c in FEATURE_COLUMNS}, FEATURE_COLUMNS)
    assert h == feature_schema_hash({c: "DOUBLE" for c in FEATURE_COLUMNS}, FEATURE_COLUMNS)  # SQL spelling
    assert h == feature_schema_hash(frame.astype("float32"), FEATURE_COLUMNS)  # same kind
    assert h == feature_schema_hash(frame.astype("Float64"), FEATURE_COLUMNS)
    assert h == feature_schema_hash(frame[FEATURE_COLUMNS[::-1]], FEATURE_COLUMNS)  # frame order irrelevant
    assert h != feature_schema_hash(frame, FEATURE_COLUMNS[::-1])  # the model's order matters
    assert h != feature_schema_hash(frame, FEATURE_COLUMNS[:-1])
    assert len(h) == 64 and int(h, 16) >= 0
    assert [dtype_kind(t) for t in ("int64", "Int32", "bool", "boolean", "str", "object", "datetime64[us]")] == [
        "int", "int", "bool", "bool", "string", "string", "datetime"
    ]  # fmt: skip


def test_score_classifier_and_regressor(classifier, regressor, signal_frame):
    trained, card = classifier
    card = dataclasses.replace(card, version="v0007")
    out = score(trained, card, signal_frame)  # a TrainedModel or its pipeline
    assert list(out.columns) == SCORE_COLUMNS and len(out) == len(signal_frame)
    assert out["probability"].between(0, 1).all()
    assert set(out["prediction"].unique()) <= {0.0, 1.0}
    assert ((out["probability"] >= 0.5) == (out["prediction"] == 1.0)).all()
    assert (out["model_name"] == "clf").all() and (out["model_version"] == "v0007").all()
    pd.testing.assert_series_equal(out["minute"], signal_frame["minute"].reset_index(drop=True), check_names=False)

    trained, card = regressor
    out = score(trained.pipeline, card, signal_frame.sample(frac=1.0, random_state=0))
    assert out["probability"].isna().all() and out["prediction"].notna().all()
    # feature order in the frame does not matter, only the names and dtypes
    reordered = signal_frame[["symbol", "trade_date", "minute", *FEATURE_COLUMNS[::-1]]]
    np.testing.assert_array_equal(
        score(trained, card, reordered)["prediction"], score(trained, card, signal_frame)["prediction"]
    )
    assert score(trained, card, signal_frame.iloc[:0]).empty


def test_missing_extra_and_retyped_columns_are_refused(classifier, signal_frame):
    trained, card = classifier
    with pytest.raises(FeatureSchemaMismatch, match=r"missing columns \['hl_spread'\]") as missing:
        score(trained, card, signal_frame.drop(columns=["hl_spread"]))
    assert missing.value.missing == ["hl_spread"]

    with pytest.raises(FeatureSchemaMismatch, match=r"extra columns \['order_book_depth'\]") as extra:
        score(trained, card, signal_frame.assign(order_book_depth=1.0))
    assert extra.value.extra == ["order_book_depth"]
    # an extra column the caller declares as not-a-feature is fine
    assert len(score(trained, card, signal_frame.assign(note="x"), ignore_columns=["note"])) == len(signal_frame)

    retyped_frame = signal_frame.assign(volume_z_60m=signal_frame["volume_z_60m"].astype(str))
    with pytest.raises(FeatureSchemaMismatch, match="retyped columns volume_z_60m: float -> string") as retyped:
        score(trained, card, retyped_frame)
    assert retyped.value.retyped == {"volume_z_60m": ("float", "string")}

    # a card without per-feature dtypes still refuses on the hash alone
    card = dataclasses.replace(card, feature_dtypes={})
    with pytest.raises(FeatureSchemaMismatch, match="feature dtypes differ"):
        score(trained, card, signal_frame.assign(hl_spread=signal_frame["hl_spread"].round().astype("int64")))
