"""Models trained on a window of feature partitions, gated into the registry; predictions from the champions."""

import datetime as dt

import dagster as dg
import pandas as pd
import pyarrow as pa
from pydantic import Field

from binance_assets.features.assets import MINUTE_FEATURES_KEY
from binance_assets.features.compute import FEATURE_COLUMNS
from binance_assets.lib.conditions import partition_refresh, retrain_on_cron
from binance_assets.lib.keys import WAREHOUSE_POOL
from binance_assets.lib.partitions import DAY_RANGE_BACKFILL, run_days
from binance_assets.lib.resources import WarehouseResource
from binance_assets.lib.scope import step_symbols
from binance_assets.ml.card_build import build_card
from binance_assets.ml.point_in_time import choose_scoring_model
from binance_assets.ml.promotion import register_with_gate
from binance_assets.ml.resources import ModelRegistryResource
from binance_assets.ml.scoring import score
from binance_assets.ml.training import train_direction_classifier, train_return_regressor
from binance_assets.warehouse import Warehouse
from binance_assets.warehouse.table_names import FEATURES_TABLE, PREDICTIONS_TABLE

MODELS_GROUP = "models"
PREDICTIONS_KEY = dg.AssetKey(["ml", "predictions"])
CLASSIFIER = "price_direction_classifier"
REGRESSOR = "forward_return_regressor"
MODEL_KEYS = {CLASSIFIER: dg.AssetKey(["models", CLASSIFIER]), REGRESSOR: dg.AssetKey(["models", REGRESSOR])}


class TrainingConfig(dg.Config):
    """Which partitions to train on, how to validate, and the promotion margin."""

    train_days: int = Field(default=30, ge=1, description="Feature partitions (days) in the training window.")
    end_date: str | None = Field(default=None, description="Last day of the window; default the latest features.")
    symbols: list[str] | None = Field(default=None, description="Symbols to train on; default all.")
    n_splits: int = Field(default=5, ge=2, description="Walk-forward (TimeSeriesSplit) folds.")
    estimator: str = Field(default="hist_gradient_boosting", description="hist_gradient_boosting or linear.")
    max_iter: int = 200
    learning_rate: float = 0.05
    max_depth: int | None = 4
    l2_regularization: float = 1.0
    promotion_margin: float = Field(
        default=0.02, ge=0, description="Lead over champion and baseline needed (noise reaches ~0.015)."
    )
    canary: bool = Field(
        default=True, description="A challenger that beats its baseline but not the champion shadows the champion."
    )

    def hyperparameters(self) -> dict:
        return {
            "estimator": self.estimator,
            "max_iter": self.max_iter,
            "learning_rate": self.learning_rate,
            "max_depth": self.max_depth,
            "l2_regularization": self.l2_regularization,
        }


def training_window(warehouse, config: TrainingConfig) -> tuple[dt.date, dt.date]:
    if config.end_date:
        end = dt.date.fromisoformat(config.end_date)
    else:
        latest = warehouse.query(f"select max(trade_date) as d from {FEATURES_TABLE}")["d"].iloc[0]
        if pd.isna(latest):
            raise dg.Failure(f"{FEATURES_TABLE} is empty: materialize feature partitions first")
        end = pd.Timestamp(latest).date()
    return end - dt.timedelta(days=config.train_days - 1), end


def _build_model_asset(name: str, trainer, description: str, label_horizon: int) -> dg.AssetsDefinition:
    @dg.asset(
        key=MODEL_KEYS[name],
        deps=[MINUTE_FEATURES_KEY],
        group_name=MODELS_GROUP,
        kinds={"scikitlearn"},
        owners=["team:ml"],
        description=description,
        pool=WAREHOUSE_POOL,
        automation_condition=retrain_on_cron(),
    )
    def _model(
        context: dg.AssetExecutionContext,
        config: TrainingConfig,
        warehouse: WarehouseResource,
        model_registry: ModelRegistryResource,
    ) -> dg.MaterializeResult:
        wh = warehouse.get()
        start, end = training_window(wh, config)
        frame = wh.read_table(FEATURES_TABLE, symbols=config.symbols, start=start, end=end)
        if frame.empty:
            raise dg.Failure(f"no features between {start} and {end}")
        trained = trainer(
            frame, FEATURE_COLUMNS, params=config.hyperparameters(), n_splits=config.n_splits, gap=label_horizon
        )
        card = build_card(name, trained, frame, hyperparameters=config.hyperparameters())
        card, decision = register_with_gate(
            model_registry.get(), name, trained.pipeline, card, margin=config.promotion_margin, canary=config.canary
        )
        context.log.info(f"{name} {card.version}: {'promoted' if decision.promote else 'kept'}: {decision.reason}")
        primary = trained.primary_metric
        return dg.MaterializeResult(
            metadata={
                "version": card.version,
                "promoted": decision.promote,
                "canary": decision.canary and config.canary,
                "promotion_reason": decision.reason,
                "training_window": f"{start} .. {end}",
                "rows": trained.n_rows,
                "primary_metric": primary,
                f"cv_{primary}": float(trained.metrics[primary]),
                f"baseline_{primary}": float(trained.baseline_metrics[primary]),
                "metrics": dg.MetadataValue.json(trained.metrics),
                "baseline_metrics": dg.MetadataValue.json(trained.baseline_metrics),
                "fold_metrics": dg.MetadataValue.json(trained.fold_metrics),
            }
        )

    return _model


def build_model_assets(label_horizon: int) -> list[dg.AssetsDefinition]:
    """Both models; walk-forward folds leave `label_horizon` minutes between train and test (purge)."""
    return [
        _build_model_asset(
            CLASSIFIER,
            train_direction_classifier,
            "Classifier of the sign of the forward return, validated walk-forward against the majority class.",
            label_horizon,
        ),
        _build_model_asset(
            REGRESSOR,
            train_return_regressor,
            "Regressor of the forward log return, validated walk-forward against predicting zero.",
            label_horizon,
        ),
    ]


def scoring_asset(key: dg.AssetKey, table: str, partitions_def: dg.PartitionsDefinition, description: str):
    """The decorator of an asset that scores each feature partition with the registry's models into `table`
    (ml.predictions, ml.shadow_predictions): the same inputs, pool, automation and owners."""
    return dg.asset(
        key=key,
        deps=[MINUTE_FEATURES_KEY, *MODEL_KEYS.values()],
        group_name="predictions",
        partitions_def=partitions_def,
        backfill_policy=DAY_RANGE_BACKFILL,
        pool=WAREHOUSE_POOL,
        automation_condition=partition_refresh(ignore=dg.AssetSelection.assets(*MODEL_KEYS.values())),
        kinds={"scikitlearn", "python"},
        owners=["team:ml"],
        description=description,
        metadata={"dagster/table_name": table},
    )


def feature_day(wh: Warehouse, day: dt.date, symbols: list[str] | None) -> pd.DataFrame:
    """The day's minute features (of `symbols`, None: every symbol); a failure naming the asset to materialize
    when there are none."""
    features = wh.read_table(FEATURES_TABLE, symbols=symbols, start=day, end=day)
    if features.empty:
        raise dg.Failure(f"no features for {day} ({'every symbol' if symbols is None else ', '.join(symbols)}): "
                         "materialize features/minute_features first")
    return features


def scoring_scope(context: dg.AssetExecutionContext, wh: Warehouse) -> list[tuple[dt.date, list[str] | None]]:
    """(day, symbols) a scoring step covers: each day of the run, the symbols it rebuilds (lib/scope.py: those
    its run names and any changed since; None: all)."""
    return [(day, step_symbols(context, wh, day)) for day in run_days(context)]


def write_scored(wh: Warehouse, table: str, day: dt.date, scored: list[pd.DataFrame]) -> int:
    """The models' scored frames as the day's rows of `table`, every symbol's replaced in one transaction; the
    row count."""
    frame = pd.concat(scored, ignore_index=True)
    frame.insert(1, "trade_date", day)
    parts = [(str(symbol), pa.Table.from_pandas(group.reset_index(drop=True), preserve_index=False))
             for symbol, group in frame.groupby("symbol", sort=True)]
    return wh.replace_table_partitions(table, day, parts)


def build_predictions_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @scoring_asset(
        PREDICTIONS_KEY,
        PREDICTIONS_TABLE,
        partitions_def,
        "Both models scored on a feature partition, each by the last champion trained before that day; "
        "model name, version and in_sample (no such champion: scored by the current one, whose training "
        "window holds the day; kept out of accuracy figures) on every row.",
    )
    def predictions(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, model_registry: ModelRegistryResource
    ) -> dg.MaterializeResult:
        wh, registry = warehouse.get(), model_registry.get()
        rows, metadata = 0, {}
        for day, symbols in scoring_scope(context, wh):
            features = feature_day(wh, day, symbols)
            scored = []
            for name in MODEL_KEYS:
                lineage = registry.champion_lineage(name)
                if not lineage:
                    events = registry.history(name)["events"]
                    if not (events and events[-1]["action"] == "demote"):
                        raise dg.Failure(f"model {name} has no champion yet: materialize models/{name} first")
                    # Demoted by the canary with nothing to roll back to: this model's predictions stop.
                    metadata[f"{name}_status"] = f"not scored: champion {events[-1]['previous']} demoted: " \
                                                 f"{events[-1]['reason']}"
                    context.log.warning(metadata[f"{name}_status"])
                    continue
                # Never scored by a model that learnt from this day (see ml/point_in_time.py).
                choice = choose_scoring_model(lineage, day)
                model, card = registry.load(name, choice.card.version)
                frame = score(model, card, features)
                frame["in_sample"] = choice.in_sample
                scored.append(frame)
                context.log.info(f"{name} {day}: {choice.reason}")
                metadata[f"{name}_version"] = card.version
                metadata[f"{name}_in_sample"] = choice.in_sample
                metadata[f"{name}_training_window"] = \
                    f"{card.training_window['start']} .. {card.training_window['end']}"
            if not scored:
                raise dg.Failure(f"no model has a champion to score {day}: {metadata}")
            rows += write_scored(wh, PREDICTIONS_TABLE, day, scored)
            metadata["symbols"] = int(features["symbol"].nunique())
        return dg.MaterializeResult(metadata={"dagster/row_count": rows, **metadata})

    return predictions
