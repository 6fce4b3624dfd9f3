"""Alerts: the webhook client against a loopback server, the run failure sensor after a real failed
run, the check/freshness alert sensor, and the definitions the lead merges."""

import datetime as dt
import logging
import time

import dagster as dg
import pytest
from dagster._core.definitions.freshness import FreshnessState, FreshnessStateChange
from support.network import free_port
from support.webhook import Webhook

from binance_assets.automation import deadlines
from binance_assets.automation.alerts import build_automation_alerting_defs
from binance_assets.automation.check_alerts import build_freshness_alert_sensor
from binance_assets.automation.deadline_checks import DEADLINE_CHECK_NAME, build_raw_deadline_checks
from binance_assets.automation.failure_alerts import build_run_failure_alert_sensor
from binance_assets.automation.freshness import apply_freshness_policies
from binance_assets.ingestion.definitions import INGEST_JOB, build_ingestion_defs
from binance_assets.lib.keys import raw_asset_key
from binance_assets.lib.partitions import daily_partitions
from binance_assets.lib.resources import AlertWebhook, WarehouseResource
from binance_assets.lib.webhook import DEFAULT_WEBHOOK_ENV_VAR, send_alert
from binance_assets.resources import resources_for
from binance_assets.settings import Environment, Settings

START = dt.date(2025, 1, 1)
SYMBOLS = ["BTCUSDT"]
RAW_KEYS = [raw_asset_key(t) for t in ("spot_trades", "spot_agg_trades", "spot_klines_1m")]


@pytest.fixture
def webhook(monkeypatch):
    hook = Webhook()
    monkeypatch.setenv(DEFAULT_WEBHOOK_ENV_VAR, hook.url)
    yield hook
    hook.close()


# --- send_alert ----------------------------------------------------------------------------------------


def test_send_alert_posts_slack_json(webhook):
    assert send_alert("raw/spot_trades is late", webhook_url=webhook.url) is True
    (body,) = webhook.bodies
    assert body["text"] == "raw/spot_trades is late"
    assert body["blocks"][0]["text"] == {"type": "mrkdwn", "text": "raw/spot_trades is late"}


def test_send_alert_without_url_only_logs(caplog):
    with caplog.at_level(logging.WARNING):
        assert send_alert("nobody listens", webhook_url=None) is False
    assert "nobody listens" in caplog.text and "no webhook URL" in caplog.text


def test_send_alert_when_the_server_is_down_logs_and_returns(caplog):
    url = f"http://127.0.0.1:{free_port()}/services/secret-token"
    with caplog.at_level(logging.ERROR):
        assert send_alert("lost", webhook_url=url, attempts=2, backoff_seconds=0.01, timeout=1) is False
    assert "ConnectionError" in caplog.text and "lost" in caplog.text
    assert "secret-token" not in caplog.text  # the webhook path is a secret


def test_send_alert_retries_5xx_not_4xx(webhook, caplog):
    webhook.statuses = [503, 200]
    assert send_alert("second time lucky", webhook_url=webhook.url, backoff_seconds=0.01) is True
    assert webhook.texts == ["second time lucky"] * 2
    webhook.statuses = [400]
    with caplog.at_level(logging.ERROR):
        assert send_alert("bad request", webhook_url=webhook.url, backoff_seconds=0.01) is False
    assert webhook.texts.count("bad request") == 1 and "HTTP 400" in caplog.text


# --- run failure sensor -----------------------------------------------------------------------------------


@dg.op
def explode() -> None:
    raise RuntimeError("archive exploded: truncated zip")


@dg.job(partitions_def=dg.StaticPartitionsDefinition(["BTCUSDT"]))
def fragile_job() -> None:
    explode()


def test_run_failure_sensor_posts_run_id_step_and_error(webhook):
    sensor = build_run_failure_alert_sensor()
    assert sensor.name == "run_failure_alert"
    assert sensor.default_status is dg.DefaultSensorStatus.RUNNING
    with dg.instance_for_test() as instance:
        result = fragile_job.execute_in_process(instance=instance, partition_key="BTCUSDT", raise_on_error=False)
        assert not result.success
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            dagster_event=result.get_run_failure_event(),
            resources={"alert_webhook": AlertWebhook(url=dg.EnvVar(DEFAULT_WEBHOOK_ENV_VAR))},
        ).for_run_failure()
        sensor(context)
    (text,) = webhook.texts
    assert result.run_id in text
    assert "fragile_job" in text and "`explode`" in text and "partition: `BTCUSDT`" in text
    assert "archive exploded: truncated zip" in text


# --- failed checks and freshness ----------------------------------------------------------------------------


def test_freshness_alert_sensor_alerts_once_per_failure(webhook, tmp_path, monkeypatch):
    clock = {"now": dt.datetime(2025, 1, 3, 7, tzinfo=dt.UTC)}
    monkeypatch.setattr(deadlines, "utc_now", lambda: clock["now"])
    checks = build_raw_deadline_checks(RAW_KEYS[:1], SYMBOLS, 6, start_date=START)
    partitions = daily_partitions(Settings(symbols=SYMBOLS, start_date=START))
    marts = dg.AssetKey(["marts", "fct_bars_1m"])
    webhook_ref = AlertWebhook(url=dg.EnvVar(DEFAULT_WEBHOOK_ENV_VAR))  # resolved when the sensor is evaluated
    defs = dg.Definitions(
        # The marts asset has a freshness policy: the sensor watches its state without being told.
        assets=[
            dg.AssetSpec(RAW_KEYS[0], partitions_def=partitions),
            *apply_freshness_policies([dg.AssetSpec(marts, group_name="marts")]),
        ],
        asset_checks=[checks],
        jobs=[dg.define_asset_job("deadline_checks", selection=dg.AssetSelection.checks(checks))],
        # An empty warehouse: every due partition is missing.
        resources={
            "warehouse": WarehouseResource(kind="duckdb", duckdb_path=str(tmp_path / "w.duckdb")),
            "alert_webhook": webhook_ref,
        },
    )
    job = defs.resolve_job_def("deadline_checks")
    sensor = build_freshness_alert_sensor(checks.check_keys)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance, definitions=defs, resources={"alert_webhook": webhook_ref}
        )

        def tick() -> list[str]:
            before = len(webhook.texts)
            sensor(context)
            return webhook.texts[before:]

        assert tick() == []  # nothing evaluated yet
        job.execute_in_process(instance=instance)
        (alert,) = tick()
        assert "raw/spot_trades" in alert and DEADLINE_CHECK_NAME in alert
        assert "missing partitions: 2025-01-01|BTCUSDT, 2025-01-02|BTCUSDT" in alert

        job.execute_in_process(instance=instance)  # the same failure again: no new alert
        assert tick() == []

        clock["now"] = dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)  # nothing due: the check passes
        job.execute_in_process(instance=instance)
        (recovered,) = tick()
        assert "passes again" in recovered

        def freshness_change(new: FreshnessState, previous: FreshnessState) -> None:
            instance.report_runless_asset_event(
                FreshnessStateChange(
                    key=marts, new_state=new, previous_state=previous, state_change_timestamp=time.time()
                )
            )

        freshness_change(FreshnessState.FAIL, FreshnessState.WARN)
        (stale,) = tick()
        assert "marts/fct_bars_1m" in stale and "FAIL" in stale
        assert tick() == []
        freshness_change(FreshnessState.PASS, FreshnessState.FAIL)
        (fresh,) = tick()
        assert "fresh again" in fresh


# --- the definitions to merge ------------------------------------------------------------------------------


@pytest.mark.parametrize("env", [Environment.LOCAL, Environment.PROD])
def test_alerting_defs_merge_with_the_ingestion_location(tmp_path, env):
    settings = Settings(
        env=env, data_dir=tmp_path, duckdb_path=tmp_path / "w.duckdb", symbols=["BTCUSDT", "ETHUSDT"], start_date=START
    )
    alerting = build_automation_alerting_defs(settings, RAW_KEYS, due_hours=6)
    defs = dg.Definitions.merge(
        build_ingestion_defs(settings), alerting, dg.Definitions(resources=resources_for(settings))
    )
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    sensors = {s.name: s for s in repo.sensor_defs}
    assert set(sensors) == {"raw_deadline_sensor", "run_failure_alert", "freshness_alert"}
    assert sensors["run_failure_alert"].default_status is dg.DefaultSensorStatus.RUNNING
    expected = dg.DefaultSensorStatus.RUNNING if env is Environment.PROD else dg.DefaultSensorStatus.STOPPED
    assert sensors["raw_deadline_sensor"].default_status is expected
    assert sensors["freshness_alert"].default_status is expected
    checks = {k for k in repo.asset_graph.asset_check_keys if k.name == DEADLINE_CHECK_NAME}
    assert checks == {dg.AssetCheckKey(k, DEADLINE_CHECK_NAME) for k in RAW_KEYS}
    assert defs.resolve_job_def(INGEST_JOB) is not None
