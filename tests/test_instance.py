"""The local instance's run launcher tells run monitoring whether a run's worker process still exists."""

from __future__ import annotations

import subprocess
import sys
import time
from urllib.parse import urlsplit

import dagster as dg
import yaml
from dagster._core.events import EngineEventData
from dagster._core.launcher.base import WorkerStatus

from binance_assets.instance import LOCAL_INSTANCE_CONFIG, LocalRunLauncher, process_alive, run_worker_process
from binance_assets.settings import SECRET_ENV_VARS


def make_run(instance: dg.DagsterInstance) -> dg.DagsterRun:
    @dg.op
    def noop() -> None: ...

    @dg.job
    def tiny():
        noop()

    return instance.create_run_for_job(tiny)


def test_local_instance_config_monitors_runs_with_the_health_checking_launcher(tmp_path) -> None:
    (tmp_path / "dagster.yaml").write_text(LOCAL_INSTANCE_CONFIG.read_text())
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_launcher, LocalRunLauncher)
        assert instance.run_launcher.supports_check_run_worker_health
        assert instance.run_monitoring_enabled and instance.run_retries_enabled
        assert instance.run_monitoring_settings["poll_interval_seconds"] <= 10
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
        # A run's launch does not hold up the next one's, nor one location's automation the other's.
        assert instance.run_coordinator.dequeue_use_threads
        assert instance.get_settings("auto_materialize")["use_threads"]


def test_health_follows_the_reported_worker_process() -> None:
    launcher = LocalRunLauncher()
    with dg.instance_for_test() as instance:
        launcher.register_instance(instance)
        run = make_run(instance)
        # Launched in process (no worker reported): nothing to judge, never failed for it.
        assert launcher.check_run_worker_health(run).status is WorkerStatus.RUNNING

        worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            instance.report_engine_event(
                f"Started process for run (pid: {worker.pid}).", run, EngineEventData.in_process(worker.pid)
            )
            assert run_worker_process(instance, run.run_id)[0] == worker.pid
            assert launcher.check_run_worker_health(run).status is WorkerStatus.RUNNING
        finally:
            worker.kill()
            worker.wait()
        result = launcher.check_run_worker_health(run)
        assert result.status is WorkerStatus.FAILED and str(worker.pid) in result.msg


def test_a_reused_pid_is_not_the_run_worker() -> None:
    """A process created well after the run reported its worker has that pid by reuse: the worker is gone."""
    later = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert not process_alive(later.pid, time.time() - 10)  # the worker was reported 10 s before it existed
        assert process_alive(later.pid, time.time())
    finally:
        later.kill()
        later.wait()
    assert not process_alive(later.pid, time.time())


# --- deploy/dagster/prod.yaml (AWS) and compose.yaml (local integration): loaded as Dagster instances. ---

DEPLOY_DAGSTER = LOCAL_INSTANCE_CONFIG.parent
SECRETS_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:binance-merchant-platform/dev"
PG_SECRET_ARN = f"{SECRETS_ARN}/postgres-password-AbC123"
HOOK_SECRET_ARN = f"{SECRETS_ARN}/alert-webhook-url-DeF456"


def instance_env(monkeypatch, postgres_url: str) -> None:
    """The environment the ECS task definitions give the webserver and daemon, pointed at a test database."""
    parts = urlsplit(postgres_url)
    for name, value in {
        "DAGSTER_PG_HOST": parts.hostname, "DAGSTER_PG_PORT": str(parts.port or 5432),
        "DAGSTER_PG_USER": parts.username, "DAGSTER_PG_DB": parts.path[1:],
        "DAGSTER_PG_PASSWORD": "unused-by-the-test-server", "DAGSTER_PG_PASSWORD_SECRET_ARN": PG_SECRET_ARN,
        "DAGSTER_ALERT_WEBHOOK_SECRET_ARN": HOOK_SECRET_ARN,
        "DAGSTER_COMPUTE_LOG_BUCKET": "binance-merchant-platform-dev-compute-logs",
        "DAGSTER_ECS_CLUSTER": "binance-merchant-platform-dev",
        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)


def env_references(node, path=()) -> dict[tuple, object]:
    """Every leaf of a YAML config with its path: `{env: NAME}` leaves as ("env", NAME)."""
    if isinstance(node, dict) and set(node) == {"env"}:
        return {path: ("env", node["env"])}
    if isinstance(node, dict):
        return {k: v for key, child in node.items() for k, v in env_references(child, (*path, key)).items()}
    if isinstance(node, list):
        return {k: v for i, child in enumerate(node) for k, v in env_references(child, (*path, i)).items()}
    return {path: node}


def test_prod_instance_is_postgres_ecs_and_s3_against_a_real_database(tmp_path, monkeypatch, fresh_postgres_url):
    from dagster_aws.ecs import EcsRunLauncher
    from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
    from dagster_postgres import PostgresRunStorage

    config = yaml.safe_load((DEPLOY_DAGSTER / "prod.yaml").read_text())
    # RDS is reached over TLS; the test server has none, so only this parameter is left out here.
    assert config["storage"]["postgres"]["postgres_db"].pop("params") == {"sslmode": "require"}
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    instance_env(monkeypatch, fresh_postgres_url)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert make_run(instance).run_id in {r.run_id for r in instance.get_runs()}  # tables created, written
        launcher = instance.run_launcher
        assert isinstance(launcher, EcsRunLauncher)
        assert launcher.use_current_ecs_task_config and not launcher.include_sidecars
        assert launcher.run_task_kwargs["cluster"] == "binance-merchant-platform-dev"
        assert launcher.secrets_tags == []  # no tag lookup: no secretsmanager:ListSecrets
        assert {s["name"]: s["valueFrom"] for s in launcher.secrets} == {
            "DAGSTER_PG_PASSWORD": PG_SECRET_ARN, "BINANCE_ASSETS_PG_PASSWORD": PG_SECRET_ARN,
            "BINANCE_ASSETS_ALERT_WEBHOOK_URL": HOOK_SECRET_ARN,
        }
        assert set(SECRET_ENV_VARS) <= {s["name"] for s in launcher.secrets}  # every secret the code reads
        logs = instance.compute_log_manager
        assert isinstance(logs, S3ComputeLogManager)
        assert logs.inst_data.config_dict["bucket"] == {"env": "DAGSTER_COMPUTE_LOG_BUCKET"}  # resolved at run time
        assert logs._s3_bucket == "binance-merchant-platform-dev-compute-logs"
        assert instance.run_monitoring_enabled and instance.run_retries_enabled
        assert instance.run_monitoring_settings["max_resume_run_attempts"] == 0
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 4


def test_prod_and_compose_configs_name_secrets_only_by_reference():
    for name in ("prod.yaml", "compose.yaml"):
        leaves = env_references(yaml.safe_load((DEPLOY_DAGSTER / name).read_text()))
        for path, value in leaves.items():
            if path[-1] in {"password", "valueFrom", "bucket", "hostname", "username"}:
                assert isinstance(value, tuple) and value[0] == "env", f"{name}: {path} must come from the environment"
            assert "arn:aws" not in str(value), f"{name}: {path} names an account's resource"
    prod, compose = (yaml.safe_load((DEPLOY_DAGSTER / n).read_text())["storage"] for n in ("prod.yaml", "compose.yaml"))
    prod["postgres"]["postgres_db"].pop("params")
    assert prod == compose  # one set of storage variables for both deployments


def test_compose_instance_runs_in_the_code_servers_with_postgres(tmp_path, monkeypatch, fresh_postgres_url):
    from dagster._core.launcher import DefaultRunLauncher
    from dagster_postgres import PostgresEventLogStorage

    (tmp_path / "dagster.yaml").write_text((DEPLOY_DAGSTER / "compose.yaml").read_text())
    instance_env(monkeypatch, fresh_postgres_url)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.run_launcher, DefaultRunLauncher)
        assert instance.run_monitoring_enabled and instance.run_retries_enabled
