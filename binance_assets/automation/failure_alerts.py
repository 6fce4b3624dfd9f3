"""`run_failure_alert`: every failed run, of all code locations, to the webhook.

`@dg.run_failure_sensor(name=..., monitor_all_code_locations=True, default_status=RUNNING)` (dagster
1.13); the sensor gets a `RunFailureSensorContext` (`dagster_run`, `failure_event`,
`get_step_failure_events()`). Put it in ONE code location only: with `monitor_all_code_locations` it sees
the failures of every location, so two copies alert twice.
"""

from typing import Any

import dagster as dg

from binance_assets.lib.resources import AlertWebhook
from binance_assets.lib.webhook import truncate

RUN_FAILURE_SENSOR_NAME = "run_failure_alert"
MAX_ERROR_CHARS = 1500


_WRAPPER_ERRORS = {"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"}


def _error_text(error: Any) -> str:
    """`Class: message` of a SerializableErrorInfo and its causes, without Dagster's wrapper errors,
    module paths or stack traces."""
    parts: list[str] = []
    depth = 0
    while error is not None and depth < 5:
        cls_name = getattr(error, "cls_name", None) or ""
        message = (getattr(error, "message", "") or "").strip()
        if cls_name and ": " in message and message.split(": ", 1)[0].endswith(cls_name):
            message = f"{cls_name}: {message.split(': ', 1)[1]}"  # dagster._core...Failure: x -> Failure: x
        cause = getattr(error, "cause", None)
        if message and not (cls_name in _WRAPPER_ERRORS and cause is not None) and message not in parts:
            parts.append(message)
        error = cause
        depth += 1
    return " <- ".join(parts)


def format_run_failure(context: dg.RunFailureSensorContext, *, max_error_chars: int = MAX_ERROR_CHARS) -> str:
    """Job, code location, run id, partition, failed steps and their errors (or the run's failure)."""
    run = context.dagster_run
    origin = run.remote_job_origin
    location = origin.location_name if origin is not None else None
    lines = [f":red_circle: Dagster run failed: job `{run.job_name}`" + (f" ({location})" if location else "")]
    lines.append(f"run id: `{run.run_id}`")
    partition = run.tags.get("dagster/partition")
    if partition:
        lines.append(f"partition: `{partition}`")
    step_failures = context.get_step_failure_events()
    if step_failures:
        lines.append("failed steps: " + ", ".join(f"`{e.step_key}`" for e in step_failures))
        for event in step_failures:
            error = event.step_failure_data.error if event.step_failure_data else None
            message = _error_text(error) or event.message or ""
            lines.append(f"error in `{event.step_key}`: {truncate(message, max_error_chars)}")
    failure = context.failure_event
    if failure is not None and failure.message:
        lines.append(f"run failure: {truncate(failure.message, max_error_chars)}")
    return "\n".join(lines)


def build_run_failure_alert_sensor(
    *,
    name: str = RUN_FAILURE_SENSOR_NAME,
    monitor_all_code_locations: bool = True,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    """A run failure sensor that posts every failed run (of all code locations) to the webhook."""

    @dg.run_failure_sensor(
        name=name,
        monitor_all_code_locations=monitor_all_code_locations,
        default_status=default_status,
        description="Posts failed runs to the `alert_webhook` resource's URL (logged when it has none).",
    )
    def _run_failure_alert(context: dg.RunFailureSensorContext, alert_webhook: AlertWebhook) -> None:
        alert_webhook.send(format_run_failure(context), logger=context.log)

    return _run_failure_alert
