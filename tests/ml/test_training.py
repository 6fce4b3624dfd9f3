"""Walk-forward training: time-ordered folds, signal beats the baseline, noise does not pass the gate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from binance_assets.features.compute import FEATURE_COLUMNS
from binance_assets.ml.card_build import build_card
from binance_assets.ml.promotion import decide_promotion, register_with_gate
from binance_assets.ml.training import (
    train_direction_classifier,
    train_return_regressor,
    walk_forward_splits,
)
from binance_assets.model_registry.stores import LocalModelRegistry

MARGIN = 0.02
LINEAR = {"estimator": "logistic_regression", "C": 1.0}


def test_walk_forward_folds_never_train_on_the_future(signal_frame):
    shuffled = signal_frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    times = shuffled["minute"]
    folds = walk_forward_splits(times, n_splits=4, gap=5)
    assert len(folds) == 4
    distinct = np.sort(times.unique())
    previous_test_end = None
    for fold in folds:
        train_t, test_t = times.iloc[fold.train_rows], times.iloc[fold.test_rows]
        assert train_t.max() < test_t.min()
        assert train_t.min() == distinct[0]  # expanding window from the start
        # the gap: 5 distinct minutes between the last training and the first test minute
        assert np.searchsorted(distinct, test_t.min()) - np.searchsorted(distinct, train_t.max()) == 6
        # all symbols of a minute are on the same side: every row of a test minute is in the test fold
        assert len(fold.test_rows) == (times.isin(test_t.unique())).sum()
        assert set(fold.train_rows).isdisjoint(fold.test_rows)
        assert (fold.train_start, fold.train_end, fold.test_start, fold.test_end) == (
            train_t.min(),
            train_t.max(),
            test_t.min(),
            test_t.max(),
        )
        if previous_test_end is not None:
            assert test_t.min() > previous_test_end  # folds march forward in time
        previous_test_end = test_t.max()
    with pytest.raises(ValueError, match="too few"):
        walk_forward_splits(times.iloc[:3], n_splits=5)


def test_classifier_beats_majority_baseline_on_a_planted_signal(signal_frame):
    trained = train_direction_classifier(signal_frame, FEATURE_COLUMNS, params=LINEAR, n_splits=4)
    assert trained.task == "classification" and trained.primary_metric == "accuracy"
    assert trained.n_rows == int(signal_frame["label_up"].notna().sum())
    assert set(trained.metrics) == {"accuracy", "balanced_accuracy", "log_loss", "roc_auc"}
    assert len(trained.fold_metrics) == 4
    for fold in trained.fold_metrics:
        assert fold["train_end"] < fold["test_start"]
        assert fold["metrics"]["accuracy"] > fold["baseline_metrics"]["accuracy"] + MARGIN
    assert trained.metrics["accuracy"] > trained.baseline_metrics["accuracy"] + 0.1
    assert trained.metrics["roc_auc"] > 0.75 and trained.baseline_metrics["roc_auc"] == 0.5
    assert trained.metrics["log_loss"] < trained.baseline_metrics["log_loss"]
    assert trained.baseline_metrics["balanced_accuracy"] == 0.5
    decision = decide_promotion(build_card("clf", trained, signal_frame), None, margin=MARGIN)
    assert decision.promote, decision.reason
    # the refitted pipeline imputes null features
    probs = trained.pipeline.predict_proba(signal_frame[FEATURE_COLUMNS].to_numpy(dtype=float))
    assert np.isfinite(probs).all()


def test_noise_does_not_pass_the_gate(noise_frame, tmp_path):
    trained = train_direction_classifier(noise_frame, FEATURE_COLUMNS, params=LINEAR, n_splits=4)
    assert trained.metrics["accuracy"] - trained.baseline_metrics["accuracy"] <= MARGIN
    assert abs(trained.metrics["roc_auc"] - 0.5) < 0.05
    registry = LocalModelRegistry(tmp_path)
    card, decision = register_with_gate(
        registry, "noise_clf", trained.pipeline, build_card("noise_clf", trained, noise_frame), margin=MARGIN
    )
    assert not decision.promote
    assert "baseline" in decision.reason and "accuracy" in decision.reason
    assert card.status == "challenger" and card.status_reason == decision.reason
    assert registry.champion("noise_clf") is None
    assert registry.get("noise_clf", card.version).status_reason == decision.reason


def test_regressor_has_skill_on_signal_and_none_on_noise(signal_frame, noise_frame):
    trained = train_return_regressor(
        signal_frame, FEATURE_COLUMNS, params={"estimator": "ridge", "alpha": 1.0}, n_splits=3
    )
    assert trained.task == "regression" and trained.primary_metric == "skill"
    assert set(trained.metrics) == {"mse", "mae", "skill"}
    assert trained.baseline_metrics["skill"] == 0.0
    assert trained.metrics["skill"] > 0.5
    assert trained.metrics["mse"] < trained.baseline_metrics["mse"]
    noise = train_return_regressor(noise_frame, FEATURE_COLUMNS, params={"estimator": "ridge"}, n_splits=3)
    assert noise.metrics["skill"] < MARGIN
    assert not decide_promotion(build_card("reg", noise, noise_frame), None, margin=MARGIN).promote


def test_gradient_boosting_and_parameter_handling(signal_frame):
    small = signal_frame[signal_frame["symbol"] == "BTCUSDT"]
    params = {"estimator": "hist_gradient_boosting", "max_iter": 20, "max_depth": 3, "learning_rate": 0.1, "C": 3.0}
    trained = train_direction_classifier(small, FEATURE_COLUMNS, params=params, n_splits=3)
    assert trained.metrics["accuracy"] > trained.baseline_metrics["accuracy"] + MARGIN
    assert trained.params["estimator"] == "hist_gradient_boosting" and trained.params["max_iter"] == 20
    assert trained.ignored_params == {"C": 3.0}  # not a HistGradientBoostingClassifier parameter
    assert trained.pipeline.named_steps["model"].max_depth == 3
    linear = train_return_regressor(small, FEATURE_COLUMNS, params={"estimator": "linear", "max_depth": 4}, n_splits=2)
    assert linear.params["estimator"] == "ridge" and linear.ignored_params == {"max_depth": 4}
    with pytest.raises(ValueError, match="unknown classification estimator"):
        train_direction_classifier(small, FEATURE_COLUMNS, params={"estimator": "xgboost"}, n_splits=2)


def test_training_input_errors(signal_frame):
    with pytest.raises(ValueError, match="lacks columns"):
        train_direction_classifier(signal_frame.drop(columns=["hl_spread"]), FEATURE_COLUMNS, params=LINEAR, n_splits=2)
    one_class = signal_frame.assign(label_up=pd.array([True] * len(signal_frame), dtype="boolean"))
    with pytest.raises(ValueError, match="one class"):
        train_direction_classifier(one_class, FEATURE_COLUMNS, params=LINEAR, n_splits=2)
    unlabelled = signal_frame.assign(label_forward_return=np.nan)
    with pytest.raises(ValueError, match="no rows"):
        train_return_regressor(unlabelled, FEATURE_COLUMNS, params={}, n_splits=2)
