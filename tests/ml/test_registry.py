"""Model registry (local folder and moto S3 server): round trip, gate, promotion, rollback, crash safety."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from binance_assets.features.compute import FEATURE_COLUMNS
from binance_assets.ml.card_build import build_card
from binance_assets.ml.promotion import register_with_gate
from binance_assets.ml.scoring import score
from binance_assets.ml.training import train_direction_classifier
from binance_assets.model_registry.card import ModelCard
from binance_assets.model_registry.registry import CorruptModelError, ModelNotFoundError, NoChampionError, RollbackError
from binance_assets.model_registry.stores import LocalModelRegistry

NAME = "price_direction_classifier"


@pytest.fixture(scope="module")
def trained(signal_frame):
    return train_direction_classifier(signal_frame, FEATURE_COLUMNS, params={"estimator": "linear"}, n_splits=3)


@pytest.fixture(scope="module")
def card(trained, signal_frame) -> ModelCard:
    return build_card(NAME, trained, signal_frame)


def _with_accuracy(card: ModelCard, accuracy: float, baseline: float = 0.5) -> ModelCard:
    return dataclasses.replace(
        card,
        metrics={**card.metrics, "accuracy": accuracy},
        baseline_metrics={**card.baseline_metrics, "accuracy": baseline},
    )


def test_register_list_load_round_trip(registry, trained, card, signal_frame):
    first = registry.register(NAME, trained.pipeline, card)
    second = registry.register(NAME, trained.pipeline, card)
    assert (first.version, second.version) == ("v0001", "v0002")
    assert first.status == "challenger" and first.created_at.endswith("+00:00") and first.model_sha256
    assert [c.version for c in registry.list_versions(NAME)] == ["v0001", "v0002"]
    assert registry.model_names() == [NAME]
    assert registry.list_versions("unknown_model") == []

    model, loaded = registry.load(NAME, "v0001")
    assert loaded == first
    assert loaded.training_window["start"] == "2024-03-01" and loaded.training_window["end"] == "2024-03-02"
    assert loaded.training_window["symbols"] == ["BNBUSDT", "BTCUSDT", "ETHUSDT"]
    assert set(loaded.library_versions) >= {"python", "sklearn", "pandas", "numpy"}
    x = signal_frame[FEATURE_COLUMNS].to_numpy(dtype=float)
    np.testing.assert_array_equal(model.predict_proba(x), trained.pipeline.predict_proba(x))
    scored = score(model, loaded, signal_frame)
    assert (scored["model_version"] == "v0001").all()
    np.testing.assert_array_equal(scored["probability"].to_numpy(), trained.pipeline.predict_proba(x)[:, 1])

    # the card is strict JSON (NaN metrics become null) and survives a round trip
    text = first.to_json()
    assert ModelCard.from_json(text) == first
    json.loads(text)


def test_load_without_champion_and_unknown_version_error_clearly(registry, trained, card):
    with pytest.raises(NoChampionError, match="has no champion"):
        registry.load(NAME)
    registry.register(NAME, trained.pipeline, card)
    with pytest.raises(NoChampionError, match=r"versions: \['v0001'\]"):
        registry.load(NAME)
    with pytest.raises(ModelNotFoundError, match="no version 'v0009'"):
        registry.get(NAME, "v0009")
    with pytest.raises(ValueError, match="model name"):
        registry.register("../escape", trained.pipeline, card)


def test_gate_promotes_better_and_refuses_worse_challenger(registry, trained, card):
    champion, decision = register_with_gate(registry, NAME, trained.pipeline, _with_accuracy(card, 0.70), margin=0.01)
    assert decision.promote and champion.status == "champion" and "no champion yet" in decision.reason
    worse, decision = register_with_gate(registry, NAME, trained.pipeline, _with_accuracy(card, 0.69), margin=0.01)
    assert not decision.promote
    assert "champion v0001" in decision.reason and "0.6900" in decision.reason and "0.7000" in decision.reason
    # It beat its baseline, not the champion: it shadows the champion as the canary (binance_assets.ml.canary).
    assert decision.canary and worse.status == "challenger"
    assert worse.status_reason == registry.get(NAME, worse.version).status_reason == (
        f"canary: shadowing the champion: {decision.reason}")
    assert registry.history(NAME)["canary"]["version"] == worse.version
    assert registry.champion(NAME).version == "v0001"
    better, decision = register_with_gate(registry, NAME, trained.pipeline, _with_accuracy(card, 0.75), margin=0.01)
    assert decision.promote and better.version == "v0003"
    statuses = {c.version: c.status for c in registry.list_versions(NAME)}
    assert statuses == {"v0001": "retired", "v0002": "challenger", "v0003": "champion"}
    assert registry.load(NAME)[1].version == "v0003"


def test_rollback_restores_previous_champions_repeatedly(registry, trained, card):
    for _ in range(3):
        registry.register(NAME, trained.pipeline, card)
    with pytest.raises(RollbackError, match="no champion"):
        registry.rollback(NAME)
    registry.promote(NAME, "v0001", "first")
    with pytest.raises(RollbackError, match="no previous champion"):
        registry.rollback(NAME)
    registry.promote(NAME, "v0002", "better")
    registry.promote(NAME, "v0003", "even better")
    assert registry.rollback(NAME).version == "v0002"
    assert registry.champion(NAME).version == "v0002"
    assert registry.get(NAME, "v0003").status == "retired"
    assert "rolled back to v0002" in registry.get(NAME, "v0003").status_reason
    assert registry.rollback(NAME).version == "v0001"
    assert registry.load(NAME)[1].version == "v0001"
    with pytest.raises(RollbackError, match="v0001 has no previous champion"):
        registry.rollback(NAME)
    assert [e["action"] for e in registry.history(NAME)["events"]] == ["promote"] * 3 + ["rollback"] * 2


def test_versions_are_never_reused_after_a_crash(tmp_path, trained, card):
    registry = LocalModelRegistry(tmp_path)
    registry.register(NAME, trained.pipeline, card)
    # a crash after the model bytes but before the card: the version is invisible, and not reused
    half = tmp_path / NAME / "versions" / "v0002"
    half.mkdir()
    (half / "model.joblib").write_bytes(b"partial")
    assert [c.version for c in registry.list_versions(NAME)] == ["v0001"]
    assert registry.register(NAME, trained.pipeline, card).version == "v0003"


def test_pointer_is_the_authority_on_the_champion(tmp_path, trained, card):
    registry = LocalModelRegistry(tmp_path)
    for _ in range(2):
        registry.register(NAME, trained.pipeline, card)
    registry.promote(NAME, "v0001", "first")
    # a crash inside promote(v0002): the card already says champion, the pointer was not written
    path = tmp_path / NAME / "versions" / "v0002" / "card.json"
    path.write_text(dataclasses.replace(ModelCard.from_json(path.read_text()), status="champion").to_json())
    assert registry.champion(NAME).version == "v0001"
    assert registry.get(NAME, "v0002").status == "retired"
    assert registry.promote(NAME, "v0002", "retry").status == "champion"


def test_corrupted_model_bytes_are_refused(tmp_path, trained, card):
    registry = LocalModelRegistry(tmp_path)
    registry.register(NAME, trained.pipeline, card)
    (tmp_path / NAME / "versions" / "v0001" / "model.joblib").write_bytes(b"not a model")
    with pytest.raises(CorruptModelError, match="sha256"):
        registry.load(NAME, "v0001")


def test_s3_layout_matches_local(s3_client, s3_bucket, trained, card, tmp_path):
    from binance_assets.model_registry.stores import S3ModelRegistry

    s3 = S3ModelRegistry(bucket=s3_bucket, prefix="/registry/", client=s3_client)
    local = LocalModelRegistry(tmp_path)
    for registry in (s3, local):
        registry.register(NAME, trained.pipeline, card)
        registry.promote(NAME, "v0001", "first")
    keys = sorted(o["Key"] for o in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"])
    files = sorted("registry/" + p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert (
        keys
        == files
        == [
            f"registry/{NAME}/champion.json",
            f"registry/{NAME}/versions/v0001/card.json",
            f"registry/{NAME}/versions/v0001/model.joblib",
        ]
    )
    # the exclusive create refuses to overwrite an existing version
    assert not s3._create(f"{NAME}/versions/v0001/model.joblib", b"other")


def test_s3_registry_without_prefix(s3_client, s3_bucket, trained, card):
    from binance_assets.model_registry.stores import S3ModelRegistry

    registry = S3ModelRegistry(bucket=s3_bucket, prefix="", client=s3_client)
    registry.register(NAME, trained.pipeline, card)
    registry.register("other_model", trained.pipeline, card)
    assert registry.model_names() == ["other_model", NAME]
    assert registry.get("other_model", "v0001").name == "other_model"
