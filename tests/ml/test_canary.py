"""Canary models: a challenger shadows the champion in `ml.shadow_predictions`, is promoted on realised
outcomes after `canary_days` (and not before) or kept a challenger; a champion under the naive baseline on the
same live outcomes for `rollback_days` is rolled back with an alert to a loopback webhook; the registry CLI
prints every decision.

The data (conftest `canary_frame`): 120 minutes a day, 40% of them up. The "reader" classifier is right on
every minute (live accuracy 1.0), the constant "down" on 60% (0.6), the constant "up" on 40% (0.4). The
naive baseline (the majority class of the training day D[0]) is computed here from the raw rows
(`naive_baseline`).
"""

from __future__ import annotations

import datetime as dt
import shutil

import dagster as dg
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier
from support.ingestion import day_run
from support.webhook import Webhook
from typer.testing import CliRunner

from binance_assets import cli
from binance_assets.features.compute import FEATURE_COLUMNS
from binance_assets.lib.resources import AlertWebhook, WarehouseResource
from binance_assets.ml.assets import CLASSIFIER, REGRESSOR, build_predictions_asset
from binance_assets.ml.canary import CanaryPolicy, apply_decision, decide_health
from binance_assets.ml.canary_assets import CanaryConfig, build_shadow_predictions_asset, canary_decisions
from binance_assets.ml.promotion import register_with_gate
from binance_assets.ml.resources import ModelRegistryResource
from binance_assets.ml.scoring import feature_schema, feature_schema_hash
from binance_assets.model_registry.card import ModelCard
from binance_assets.model_registry.stores import LocalModelRegistry
from binance_assets.settings import get_settings
from binance_assets.warehouse.table_names import FEATURES_TABLE as MINUTE_FEATURES_TABLE

SYMBOL = "BTCUSDT"
D = [dt.date(2024, 3, 1) + dt.timedelta(days=i) for i in range(7)]  # D[0]: the models' training day
PARTITIONS = dg.DailyPartitionsDefinition(start_date=D[0].isoformat())
PREDICT = [build_predictions_asset(PARTITIONS), build_shadow_predictions_asset(PARTITIONS)]
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
INSTANCE = dg.DagsterInstance.ephemeral()  # one for every direct invocation (each would make its own)


class Flow:
    """A DuckDB warehouse holding the features, a registry, and the ml assets materialized day by day."""

    def __init__(self, root, features_file, webhook_url: str | None = None) -> None:
        shutil.copyfile(features_file, root / "wh.duckdb")
        self.warehouse = WarehouseResource(kind="duckdb", duckdb_path=str(root / "wh.duckdb"), dbt_target="local")
        self.registry_dir = root / "models"
        self.registry = LocalModelRegistry(self.registry_dir)
        self.resources = {"warehouse": self.warehouse, "alert_webhook": AlertWebhook(url=webhook_url),
                          "model_registry": ModelRegistryResource(url=str(self.registry_dir))}
        self.features = self.warehouse.get().read_table(MINUTE_FEATURES_TABLE)
        first = self.features[self.features["trade_date"] == D[0]]
        self.x, self.y = first[FEATURE_COLUMNS].to_numpy(float), first["label_up"].astype(bool).to_numpy()
        self.ret = first["label_forward_return"].to_numpy(float)

    def classifier(self, kind: str):
        last = DummyClassifier(strategy="constant", constant=kind == "up") if kind in ("up", "down") \
            else DecisionTreeClassifier(max_depth=1, random_state=0)
        return make_pipeline(SimpleImputer(keep_empty_features=True), last).fit(self.x, self.y)

    def card(self, name: str, metric: float, baseline: float) -> ModelCard:
        task, primary = ("classification", "accuracy") if name == CLASSIFIER else ("regression", "skill")
        return ModelCard(name=name, task=task, features=list(FEATURE_COLUMNS), primary_metric=primary,
                         feature_schema_hash=feature_schema_hash(self.features, FEATURE_COLUMNS),
                         feature_dtypes=feature_schema(self.features, FEATURE_COLUMNS),
                         metrics={primary: metric}, baseline_metrics={primary: baseline},
                         training_window={"start": D[0].isoformat(), "end": D[0].isoformat(), "symbols": [SYMBOL]})

    def champion(self, name: str, model, metric: float, baseline: float) -> str:
        version = self.registry.register(name, model, self.card(name, metric, baseline)).version
        self.registry.promote(name, version, "set up by the test")
        return version

    def start(self, classifier, metric: float, baseline: float) -> None:
        """The regressor champion (a ridge on the features) and the classifier champion."""
        ridge = make_pipeline(SimpleImputer(keep_empty_features=True), Ridge()).fit(self.x, self.ret)
        self.champion(REGRESSOR, ridge, 0.5, 0.0)
        self.champion(CLASSIFIER, classifier, metric, baseline)

    def day(self, day: dt.date, *, run: bool = False) -> list[dict]:
        """Score the day (champions and canaries), then judge: the classifier's decisions that day.

        The assets are invoked directly (a run per day would cost seconds); ``run`` materializes them in
        a Dagster run instead, as the location's automation does."""
        config = {"canary_days": 2, "rollback_days": 2, "margin": 0.02}
        if run:
            assert dg.materialize(PREDICT, **day_run(day, SYMBOL), resources=self.resources,
                                  instance=INSTANCE, run_config=QUIET).success
            result = dg.materialize([canary_decisions], resources=self.resources, instance=INSTANCE, run_config={
                **QUIET, "ops": {"models__canary_decisions": {"config": config}}})
            (mat,) = result.asset_materializations_for_node("models__canary_decisions")
            metadata = mat.metadata
        else:
            resources = {k: v for k, v in self.resources.items() if k != "alert_webhook"}
            for asset in PREDICT:
                asset(dg.build_asset_context(partition_key=day.isoformat(), instance=INSTANCE), **resources)
            context = dg.build_asset_context(instance=INSTANCE)
            metadata = canary_decisions(context, config=CanaryConfig(**config), **self.resources).metadata
        self.metadata = {k: getattr(v, "value", v) for k, v in metadata.items()}
        assert self.metadata["as_of"] == day.isoformat()
        return [d for d in self.metadata["decisions"] if d["model"] == CLASSIFIER]

    def table(self, table: str) -> pd.DataFrame:
        rows = self.warehouse.get().read_table(table)
        return rows[rows["model_name"] == CLASSIFIER]


@pytest.fixture(scope="module")
def features_file(tmp_path_factory, canary_frame):
    """A DuckDB file holding the features of D[0]..D[4] (each test works on a copy)."""
    path = tmp_path_factory.mktemp("canary") / "wh.duckdb"  # the file name is the catalog: not "features"
    warehouse = WarehouseResource(kind="duckdb", duckdb_path=str(path), dbt_target="local").get()
    for day, part in canary_frame[canary_frame["trade_date"] <= D[4]].groupby("trade_date"):
        warehouse.replace_table_partition(MINUTE_FEATURES_TABLE, SYMBOL, day, part)
    return path


def naive_baseline(canary_frame, day: dt.date) -> float:
    """The accuracy on ``day`` of always calling the majority class of the training day D[0], from the raw rows."""
    train = canary_frame.loc[canary_frame["trade_date"] == D[0], "label_up"].astype(bool)
    majority = bool(train.mean() > 0.5)
    live = canary_frame.loc[canary_frame["trade_date"] == day, "label_up"].astype(bool)
    return float((live == majority).mean())


def brief(decisions: list[dict]) -> list[tuple]:
    return [(d["subject"], d["action"], d["version"], d["days"], d["metrics"]) for d in decisions]


def test_a_better_challenger_is_promoted_after_n_days_and_a_worse_one_stays_challenger(tmp_path, features_file,
                                                                                         canary_frame):
    flow = Flow(tmp_path, features_file)
    naive = naive_baseline(canary_frame, D[1])
    assert naive == naive_baseline(canary_frame, D[3]) == pytest.approx(0.6)
    # v0001: live 0.6, as good as the naive baseline on the same days (its card's 0.65 was measured on others)
    flow.start(flow.classifier("down"), 0.66, 0.65)
    # The offline gate: beats its baseline (0.45) by the margin, not the champion (0.66): a canary.
    card, decision = register_with_gate(flow.registry, CLASSIFIER, flow.classifier("reader"),
                                        flow.card(CLASSIFIER, 0.67, 0.45), margin=0.02)
    assert (card.version, card.status, decision.promote, decision.canary) == ("v0002", "challenger", False, True)
    assert flow.registry.history(CLASSIFIER)["canary"]["version"] == "v0002"
    # One canary at a time: the next such challenger stays a plain challenger.
    card, decision = register_with_gate(flow.registry, CLASSIFIER, flow.classifier("up"),
                                        flow.card(CLASSIFIER, 0.675, 0.45), margin=0.02)
    assert card.version == "v0003" and not decision.canary
    assert card.status_reason.endswith("no canary: v0002 is already shadowing the champion")

    shadowing = {"challenger": 1.0, "champion": 0.6, "gain": 0.4}
    healthy = {"live": 0.6, "baseline": naive, "days_under": 0}
    assert brief(flow.day(D[1])) == [("canary", "keep_shadowing", "v0002", 1, shadowing),
                                     ("champion", "keep_champion", "v0001", 1, healthy)]
    assert flow.registry.champion(CLASSIFIER).version == "v0001"  # not before N = 2 days
    assert brief(flow.day(D[2])) == [("canary", "promote", "v0002", 2, shadowing)]
    pointer = flow.registry.history(CLASSIFIER)
    assert (pointer["champion"], pointer["canary"], pointer["champion_since"]) == ("v0002", None, D[2].isoformat())
    promotion = pointer["events"][-1]
    assert (promotion["action"], promotion["who"], promotion["days"], promotion["metrics"]) == (
        "promote", "canary", 2, shadowing)
    assert promotion["reason"].startswith("canary promoted after 2 days in shadow: live accuracy 1.0000 vs "
                                          "champion 0.6000 (gain +0.4000, margin 0.0200) over 2 day(s)")

    # A worse challenger (constant "up": live 0.4) passes the gate against the new champion's 0.67 ...
    card, decision = register_with_gate(flow.registry, CLASSIFIER, flow.classifier("up"),
                                        flow.card(CLASSIFIER, 0.68, 0.45), margin=0.02)
    assert card.version == "v0004" and decision.canary
    worse = {"challenger": 0.4, "champion": 1.0, "gain": -0.6}
    assert brief(flow.day(D[3])) == [("canary", "keep_shadowing", "v0004", 1, worse),
                                     ("champion", "keep_champion", "v0002", 1,
                                      {"live": 1.0, "baseline": naive, "days_under": 0})]
    assert brief(flow.day(D[4]))[0] == ("canary", "keep_challenger", "v0004", 2, worse)
    # ... and stays a challenger; the champion is still v0002, and no canary runs.
    assert flow.registry.get(CLASSIFIER, "v0004").status == "challenger"
    assert flow.registry.get(CLASSIFIER, "v0004").status_reason.startswith(
        "kept as challenger after 2 days in shadow: live accuracy 0.4000 vs champion 1.0000 (gain -0.6000")
    assert flow.registry.history(CLASSIFIER)["canary"] is None and flow.registry.champion(CLASSIFIER).version == "v0002"

    # Served rows: the champions only (v0001 up to the promotion day, v0002 after); canaries only in shadow.
    served = flow.table("ml.predictions").groupby("trade_date")["model_version"].unique().map(list).to_dict()
    assert {pd.Timestamp(k).date(): v for k, v in served.items()} == {
        D[1]: ["v0001"], D[2]: ["v0001"], D[3]: ["v0002"], D[4]: ["v0002"]}
    shadow = flow.table("ml.shadow_predictions")
    assert shadow.groupby("model_version")["trade_date"].nunique().to_dict() == {"v0002": 2, "v0004": 2}
    assert len(shadow) == 4 * 120 and not shadow["in_sample"].any()

    # The registry CLI prints the decisions (null metrics as n/a).
    flow.registry.record_event(CLASSIFIER, "canary_insufficient_data", "v0004", "no outcomes yet", who="canary",
                               as_of="2024-03-06", days=0, metrics={"challenger": None})
    out = run_cli(flow.registry_dir, "canary", CLASSIFIER)
    assert out.splitlines()[0] == (f"{CLASSIFIER}: champion v0002 (judged from 2024-03-03); canary: none in shadow")
    assert "  canary_keep_shadowing  v0002  (was v0001)  by canary  as_of 2024-03-02 days 1  challenger=1.0000 " \
           "champion=0.6000 gain=0.4000  in shadow 1 of 2 days" in out
    assert "  promote  v0002  (was v0001)  by canary  as_of 2024-03-03 days 2  challenger=1.0000 champion=0.6000 " \
           "gain=0.4000  canary promoted after 2 days in shadow" in out
    assert "  canary_end  v0004  (was v0002)  by canary  as_of 2024-03-05 days 2  challenger=0.4000 " \
           "champion=1.0000 gain=-0.6000  kept as challenger after 2 days in shadow" in out
    assert "as_of 2024-03-06 days 0  challenger=n/a  no outcomes yet" in out
    history = run_cli(flow.registry_dir, "history", CLASSIFIER)
    assert history.splitlines()[0] == f"{CLASSIFIER}: champion v0002, previous ['v0001']"
    assert "  canary_start  v0002  (was v0001)  by gate" in history and "  promote  v0001  (was -)  by user" in history


def test_a_champion_under_the_naive_baseline_on_the_same_days_is_rolled_back_with_an_alert(tmp_path, features_file,
                                                                                           canary_frame):
    webhook = Webhook()
    try:
        flow = Flow(tmp_path, features_file, webhook.url)
        flow.start(flow.classifier("reader"), 0.95, 0.55)  # v0001: live 1.0
        # v0002: live 0.4, above the 0.35 of its card's cross-validation baseline (other days), but under the naive
        # baseline on the same live days (always "down", the training day's majority: 0.6).
        flow.champion(CLASSIFIER, flow.classifier("up"), 0.96, 0.35)
        naive = naive_baseline(canary_frame, D[1])
        assert naive == naive_baseline(canary_frame, D[2]) > 0.4
        under = {"live": 0.4, "baseline": naive}
        assert brief(flow.day(D[1])) == [("champion", "keep_champion", "v0002", 1, {**under, "days_under": 1})]
        assert webhook.texts == [] and flow.registry.champion(CLASSIFIER).version == "v0002"
        assert brief(flow.day(D[2], run=True)) == [("champion", "rollback", "v0002", 2, {**under, "days_under": 2})]
        assert flow.metadata["alerts_sent"] == 1
        (text,) = webhook.texts
        assert text.startswith(f":rotating_light: model {CLASSIFIER}: champion v0002 rolled back to v0001. "
                               "champion v0002 rollback: live accuracy under the naive baseline's on the same "
                               "outcomes on the last 2 consecutive day(s) (limit 2; 2024-03-02: 0.4000 vs 0.6000, "
                               "2024-03-03: 0.4000 vs 0.6000)")
        pointer = flow.registry.history(CLASSIFIER)
        assert (pointer["champion"], pointer["champion_since"]) == ("v0001", "2024-03-03")
        assert (pointer["events"][-1]["action"], pointer["events"][-1]["who"]) == ("rollback", "canary")
        # The restored champion scores the next day and is judged from then on only.
        assert brief(flow.day(D[3])) == [("champion", "keep_champion", "v0001", 1,
                                          {"live": 1.0, "baseline": naive_baseline(canary_frame, D[3]),
                                           "days_under": 0})]
        served = flow.table("ml.predictions")
        assert served.groupby("trade_date")["model_version"].first().tolist() == ["v0002", "v0002", "v0001"]
        assert not flow.warehouse.get().table_exists("ml.shadow_predictions")  # no canary ever ran
    finally:
        webhook.close()


def test_a_champion_without_a_previous_one_is_demoted_and_its_predictions_stop(tmp_path, features_file):
    flow = Flow(tmp_path, features_file)
    flow.start(flow.classifier("up"), 0.9, 0.55)
    # 48 of each day's 120 outcomes up: the baseline calling "down" (the training day's majority) is right on 72.
    daily = pd.DataFrame({"model_name": CLASSIFIER, "model_version": "v0001", "symbol": SYMBOL,
                          "trade_date": [D[1], D[2]], "judged": 120, "hits": [80, 48], "ups": 48,
                          "squared_error": None, "squared_return": None})
    policy = CanaryPolicy(rollback_days=2)
    assert decide_health(flow.registry, CLASSIFIER, daily, D[2], policy).action == "insufficient_data"  # no call
    decision = decide_health(flow.registry, CLASSIFIER, daily, D[2], policy, lambda card: False)
    assert (decision.action, decision.metrics) == ("keep_champion", {"live": 0.4, "baseline": 0.6, "days_under": 1})
    daily["hits"] = [70, 48]  # 0.583 < 0.6, then 0.4
    decision = decide_health(flow.registry, CLASSIFIER, daily, D[2], policy, lambda card: False)
    assert decision.action == "demote"
    assert apply_decision(flow.registry, decision).startswith(
        f":rotating_light: model {CLASSIFIER}: champion v0001 demoted: no previous champion, so its predictions stop")
    assert flow.registry.champion(CLASSIFIER) is None
    demotion = flow.registry.history(CLASSIFIER)["events"][-1]
    assert (demotion["action"], demotion["version"], demotion["previous"], demotion["who"]) == (
        "demote", None, "v0001", "canary")
    assert flow.registry.get(CLASSIFIER, "v0001").status == "retired"
    resources = {k: flow.resources[k] for k in ("warehouse", "model_registry")}
    result = PREDICT[0](dg.build_asset_context(partition_key=D[3].isoformat(), instance=INSTANCE), **resources)
    assert result.metadata[f"{CLASSIFIER}_status"].startswith(
        "not scored: champion v0001 demoted: champion v0001 demote: live accuracy under the naive baseline's")
    assert set(flow.warehouse.get().read_table("ml.predictions")["model_name"]) == {REGRESSOR}


def run_cli(registry_dir, *args: str) -> str:
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["models", *args],
                                    env={"BINANCE_ASSETS_MODEL_REGISTRY_URL": str(registry_dir)})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("action", ["keep_shadowing", "insufficient_data"])
def test_a_repeated_decision_is_recorded_once_per_day(tmp_path, action):
    registry = LocalModelRegistry(tmp_path)
    registry.register("m", {"a": 1}, ModelCard(name="m", task="classification", features=["x"],
                                               feature_schema_hash="0", metrics={}, baseline_metrics={},
                                               primary_metric="accuracy"))
    for _ in range(2):
        registry.record_event("m", f"canary_{action}", "v0001", "why", who="canary", as_of="2024-03-02")
    registry.record_event("m", f"canary_{action}", "v0001", "why", who="canary", as_of="2024-03-03")
    assert [e["as_of"] for e in registry.history("m")["events"]] == ["2024-03-02", "2024-03-03"]
