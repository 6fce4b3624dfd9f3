"""The code locations in workspace.yaml load, and the asset graph is the one we mean."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import dagster as dg
import pydantic
import pytest
import yaml
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster_aws.ecs.container_context import EcsContainerContext
from dagster_cloud_cli.config.models import load_dagster_cloud_yaml
from dagster_shared.serdes import serialize_value

from binance_assets.lib.defaults import check_defaults_cover
from binance_assets.lib.resources import WarehouseResource
from binance_assets.settings import (
    ALERT_WEBHOOK_ENV,
    PG_PASSWORD_ENV,
    SECRET_ENV_VARS,
    Environment,
    Settings,
    get_settings,
)

ROOT = Path(__file__).resolve().parents[1]
RAW_KEYS = {dg.AssetKey(["raw", t]) for t in ("spot_trades", "spot_agg_trades", "spot_klines_1m")}


def workspace_modules() -> list[tuple[str, str, str]]:
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    return [
        (entry["python_module"]["location_name"], entry["python_module"]["module_name"],
         entry["python_module"].get("attribute", "defs"))
        for entry in workspace["load_from"]
    ]


def test_workspace_validates_with_the_dagster_cli(tmp_path):
    env = dict(os.environ, DAGSTER_HOME=str(tmp_path), BINANCE_ASSETS_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", str(ROOT / "workspace.yaml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "market_data" in proc.stdout + proc.stderr
    assert "ml" in {name for name, _, _ in workspace_modules()}


def test_dagster_cloud_yaml_is_valid_for_dagster_plus_and_names_the_same_locations():
    cloud = load_dagster_cloud_yaml((ROOT / "dagster_cloud.yaml").read_text())  # dagster-cloud-cli's own model
    cloud_modules = {(loc.location_name, loc.code_source.module_name, loc.attribute) for loc in cloud.locations}
    assert cloud_modules == set(workspace_modules())
    for location in cloud.locations:
        # The ECS container context, through dagster-aws's own schema (the model keeps it as a plain dict).
        context = EcsContainerContext.create_from_config(location.container_context)
        env = dict(item.split("=", 1) for item in context.env_vars)
        assert env["BINANCE_ASSETS_ENV"] == "prod"
        assert context.run_resources["memory"] and context.server_resources["cpu"]
        assert context.task_role_arn.startswith("arn:aws:iam::")
        # Secrets by reference only: Secrets Manager ARNs, never a value in env_vars.
        secrets = {s["name"]: s["valueFrom"] for s in context.secrets}
        assert set(SECRET_ENV_VARS) <= set(secrets)
        assert all(arn.startswith("arn:aws:secretsmanager:") for arn in secrets.values())
        assert not set(env) & set(secrets)
        assert not [name for name in env if any(w in name for w in ("PASSWORD", "SECRET", "WEBHOOK", "API_KEY"))]


@pytest.mark.parametrize(
    "mistake, message",
    [
        ({"code_source": {"module_name": "m", "attribute": "defs"}}, "attribute"),  # the old file's mistake
        ({"code_source": {"module_name": "m", "python_file": "x.py"}}, "only one of"),
        ({"code_source": {"module_name": "m"}, "container_contxt": {}}, "container_contxt"),
    ],
)
def test_the_dagster_cloud_model_rejects_the_mistakes(mistake, message):
    with pytest.raises(pydantic.ValidationError, match=message):
        load_dagster_cloud_yaml(yaml.safe_dump({"locations": [{"location_name": "x", **mistake}]}))


# What is RUNNING by default in each environment (the docs' generated table); every other sensor/schedule is STOPPED.
RUNNING_BY_DEFAULT = {
    Environment.LOCAL: {"archive_landing_sensor", "market_data_automation", "ml_automation", "run_failure_alert",
                        "daily_symbol_universe"},
    Environment.CI: {
        "archive_landing_sensor", "archive_poller", "market_data_automation", "ml_automation", "raw_deadline_sensor",
        "freshness_alert", "ml_freshness_alert", "run_failure_alert", "daily_missed_partitions",
        "rest_gapfill_sensor",  # issue 12 (c2c_orders_sensor exists only with a merchant account)
        "daily_symbol_universe",  # issue 21
    },
}
RUNNING_BY_DEFAULT[Environment.PROD] = RUNNING_BY_DEFAULT[Environment.CI]


# Distinctive secrets in the environment while the locations load (as ECS puts them there in prod).
PG_SECRET = f"pg-secret-{uuid.uuid4().hex}"
HOOK_TOKEN = uuid.uuid4().hex
HOOK_SECRET = f"https://hooks.example.invalid/services/{HOOK_TOKEN}"


@pytest.fixture(scope="module")
def defs_by_env(tmp_path_factory) -> dict[Environment, list[dg.Definitions]]:
    from binance_assets.definitions import build_defs
    from binance_assets.ml.definitions import build_ml_defs

    out = {}
    with pytest.MonkeyPatch.context() as env_vars:
        env_vars.setenv(PG_PASSWORD_ENV, PG_SECRET)
        env_vars.setenv(ALERT_WEBHOOK_ENV, HOOK_SECRET)
        for env in Environment:
            settings = Settings(env=env, data_dir=tmp_path_factory.mktemp(f"data_{env.value}"))
            out[env] = [build_defs(settings), build_ml_defs(settings)]
    return out


def ui_snapshot(defs: dg.Definitions) -> str:
    """Everything the UI gets about a location (resources with their config, jobs, sensors, ...)."""
    return serialize_value(RepositorySnap.from_def(defs.get_repository_def()))


@pytest.mark.parametrize("env", [Environment.CI, Environment.PROD])
def test_no_secret_in_what_the_ui_shows_only_references(defs_by_env, env):
    for defs in defs_by_env[env]:
        text = ui_snapshot(defs)
        assert PG_SECRET not in text
        assert HOOK_TOKEN not in text
        snap = RepositorySnap.from_def(defs.get_repository_def())
        warehouse = next(r for r in snap.resources if r.name == "warehouse")
        assert warehouse.configured_values["postgres_password"].name == PG_PASSWORD_ENV  # shown as a reference
        webhook = next(r for r in snap.resources if r.name == "alert_webhook")
        assert webhook.configured_values["url"].name == ALERT_WEBHOOK_ENV
        for job in defs.get_repository_def().get_all_jobs():
            assert PG_SECRET not in json.dumps(dict(job.tags)) + json.dumps(dict(job.run_tags or {}))
    # Control: the same snapshot does show a password put into plain resource config.
    leaky = dg.Definitions(resources={"warehouse": WarehouseResource(kind="postgres", postgres_password=PG_SECRET)})
    assert PG_SECRET in ui_snapshot(leaky)


def test_a_password_in_the_postgres_url_is_refused():
    with pytest.raises(pydantic.ValidationError, match=PG_PASSWORD_ENV):
        Settings(postgres_url="postgresql://binance:hunter2@db.internal:5432/binance")


@pytest.mark.parametrize("env", list(Environment))
def test_default_status_of_every_sensor_and_schedule(defs_by_env, env):
    statuses = {}
    for defs in defs_by_env[env]:
        repo = defs.get_repository_def()
        statuses |= {s.name: s.default_status.value for s in repo.sensor_defs}
        statuses |= {s.name: s.default_status.value for s in repo.schedule_defs}
    assert set(statuses) == set(RUNNING_BY_DEFAULT[Environment.CI])  # every one of them has a known status
    assert {name for name, status in statuses.items() if status == "RUNNING"} == RUNNING_BY_DEFAULT[env]
    # The automation sensors run wherever raw data is loaded: downstream gets built.
    assert {"market_data_automation", "ml_automation"} <= RUNNING_BY_DEFAULT[env]


# How often the sensors that start a new day's runs look (binance_assets/lib/run_timing.py): locally on
# every pass of Dagster's daemons (they loop every 5 s), elsewhere less often.
HOP_SENSOR_INTERVALS = {
    Environment.LOCAL: {"archive_landing_sensor": 1, "market_data_automation": 1, "ml_automation": 1},
    Environment.CI: {"archive_landing_sensor": 5, "market_data_automation": 30, "ml_automation": 30},
}
HOP_SENSOR_INTERVALS[Environment.PROD] = HOP_SENSOR_INTERVALS[Environment.CI]


@pytest.mark.parametrize("env", list(Environment))
def test_the_sensors_of_each_hop_tick_often_and_the_automation_emits_runs(defs_by_env, env):
    sensors = {s.name: s for defs in defs_by_env[env] for s in defs.get_repository_def().sensor_defs}
    assert {name: sensors[name].minimum_interval_seconds for name in HOP_SENSOR_INTERVALS[env]} == (
        HOP_SENSOR_INTERVALS[env]
    )
    for name in ("market_data_automation", "ml_automation"):
        automation = sensors[name]
        assert isinstance(automation, dg.AutomationConditionSensorDefinition)
        # A new day's two symbols become two runs in the tick itself, not a backfill that waits for the
        # backfill daemon's next pass.
        assert automation.emit_backfills is False


def test_a_sensor_without_a_row_in_the_defaults_table_fails_the_load():
    @dg.sensor(name="new_sensor_without_a_row")
    def new_sensor():
        return None

    with pytest.raises(KeyError, match=r"no row in binance_assets/lib/defaults\.py"):
        check_defaults_cover(dg.Definitions(sensors=[new_sensor]), Environment.PROD)


def test_market_data_graph_has_partitioned_raw_assets_with_blocking_checks():
    location = {name: (module, attr) for name, module, attr in workspace_modules()}["market_data"]
    defs: dg.Definitions = getattr(importlib.import_module(location[0]), location[1])
    graph = defs.resolve_asset_graph()
    assert RAW_KEYS <= set(graph.get_all_asset_keys())
    for key in RAW_KEYS:
        node = graph.get(key)
        assert node.group_name == "raw"
        partitions = node.partitions_def
        # One partition per UTC day (every symbol inside the run): a year of 2,000 symbols is 365 partitions.
        assert isinstance(partitions, dg.TimeWindowPartitionsDefinition) and partitions.cron_schedule == "0 0 * * *"
        assert partitions.start.date() == get_settings().start_date
        assert node.pools == {"warehouse"}
    checks = {(k.asset_key, k.name): graph.get(k) for k in graph.asset_check_keys}
    for key in RAW_KEYS:
        assert checks[(key, "pandera_schema")].blocking
    assert checks[(dg.AssetKey(["raw", "spot_trades"]), "unique_ids")].blocking
    assert not checks[(dg.AssetKey(["raw", "spot_trades"]), "id_continuity")].blocking
    assert defs.resolve_job_def("materialize_all") is not None


def load_location(name: str) -> dg.Definitions:
    module, attribute = {n: (m, a) for n, m, a in workspace_modules()}[name]
    return getattr(importlib.import_module(module), attribute)


def test_lineage_runs_raw_staging_marts_features_in_market_data():
    graph = load_location("market_data").resolve_asset_graph()
    parents = {key: set(graph.get(key).parent_keys) for key in graph.get_all_asset_keys()}
    assert dg.AssetKey(["raw", "spot_trades"]) in parents[dg.AssetKey(["staging", "stg_binance__spot_trades"])]
    assert dg.AssetKey(["raw", "spot_klines_1m"]) in parents[dg.AssetKey(["staging", "stg_binance__spot_klines_1m"])]
    assert dg.AssetKey(["intermediate", "int_trades__minutely"]) in parents[dg.AssetKey(["marts", "fct_bars_1m"])]
    assert dg.AssetKey(["marts", "fct_bars_1m"]) in parents[dg.AssetKey(["features", "minute_features"])]
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"raw", "staging", "intermediate", "marts", "features"} <= groups
    dbt_checks = {k.name for k in graph.asset_check_keys if k.asset_key == dg.AssetKey(["marts", "fct_bars_1m"])}
    assert "assert_bars_match_archive_klines" in dbt_checks
    assert any(name.startswith("not_null_fct_bars_1m") for name in dbt_checks)


def test_ml_location_reads_the_feature_table_of_market_data():
    market = load_location("market_data").resolve_asset_graph()
    ml = load_location("ml").resolve_asset_graph()
    ml_keys = set(ml.get_all_asset_keys())
    features = dg.AssetKey(["features", "minute_features"])
    assert features in set(market.get_all_asset_keys())
    for key in (dg.AssetKey(["models", "price_direction_classifier"]), dg.AssetKey(["ml", "predictions"])):
        assert features in ml.get(key).parent_keys
    assert ml.get(dg.AssetKey(["models", "forward_return_regressor"])).group_name == "models"
    # The feature table is defined in market_data only: in ml it is an external dependency.
    if features in ml_keys:
        assert not ml.get(features).is_materializable
    assert any(k.name == "feature_drift" for k in ml.asset_check_keys)
    # Canary lineage: shadow predictions beside the champions' predictions, both judged by canary_decisions.
    assert ml.get(dg.AssetKey(["models", "canary_decisions"])).parent_keys >= {
        dg.AssetKey(["ml", "predictions"]), dg.AssetKey(["ml", "shadow_predictions"])}
    assert features in ml.get(dg.AssetKey(["ml", "shadow_predictions"])).parent_keys
