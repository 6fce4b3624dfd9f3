"""`binance-assets check`: the asset checks and dbt tests of the latest partitions, against the warehouse
of `BINANCE_ASSETS_ENV` (local DuckDB file, ci or prod PostgreSQL).

What runs, each with the project's one implementation of the rule:
1. the in-step checks (raw `pandera_schema`, `unique_ids`, `id_continuity`; features `pandera_schema`) on
   the published partitions (binance_assets.ops.partition_rules);
2. `dbt test` for the latest window (binance_assets.ops.dbt_tests);
3. the standalone Dagster asset checks of both code locations, in-process (binance_assets.ops.dagster_checks).
A failed ERROR check fails the command (WARN ones too with `fail_on_warn`), and the failures go out as
one alert through the project's webhook (binance_assets.lib.webhook, BINANCE_ASSETS_ALERT_WEBHOOK_URL).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from binance_assets.lib.resources import WarehouseResource, warehouse_resource
from binance_assets.lib.webhook import send_alert
from binance_assets.ops.dbt_tests import dbt_test_findings
from binance_assets.ops.findings import ERROR, Finding, alert_text, failures, format_line
from binance_assets.ops.latest import latest_partitions
from binance_assets.ops.partition_rules import feature_findings, raw_findings
from binance_assets.settings import ALERT_WEBHOOK_ENV, Settings
from binance_assets.transform.dbt_vars import pairs_window_vars
from binance_assets.warehouse import Warehouse
from binance_assets.warehouse.load_log import LOAD_LOG


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)
    failed: list[Finding] = field(default_factory=list)
    alert_sent: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed


def _locations(settings: Settings) -> list:
    """Both code locations' definitions for `settings`: the modules' own `defs` only if they were built from
    equal settings. The process may have imported them under others (a different warehouse, say), and
    `get_settings()` is no witness: its cache may have been cleared since."""
    from binance_assets import definitions
    from binance_assets.ml import definitions as ml_definitions

    if settings == definitions.SETTINGS and settings == ml_definitions.SETTINGS:
        return [definitions.defs, ml_definitions.defs]
    return [definitions.build_defs(settings), ml_definitions.build_ml_defs(settings)]


def _latest(resource: WarehouseResource, opened: list, settings: Settings, days: int, parts: list) -> list[Finding]:
    """Open the warehouse (into `opened`) and fill `parts` with the latest partitions; a failed finding when
    there are none."""
    opened.append(resource.open())
    parts += latest_partitions(opened[0], settings.symbols, days)
    if parts:
        return []
    return [Finding("rule", "raw/load_log", "latest_partitions", "", False, ERROR,
                    f"no loaded partition of the configured symbols in {LOAD_LOG}")]


def run_check(
    settings: Settings,
    *,
    days: int = 1,
    skip: Iterable[str] = (),
    dbt: bool = True,
    dagster: bool = True,
    fail_on_warn: bool = False,
    echo: Callable[[str], None] = print,
) -> CheckReport:
    """Evaluate, print one line per check and a summary, alert on failures; see the module docstring."""
    report = CheckReport()

    def guarded(source: str, what: str, run: Callable[[], list[Finding]]) -> list[Finding]:
        """`run`'s findings; if it cannot run at all (warehouse down, dbt broken), one failed finding saying so,
        so that the alert still goes out."""
        try:
            return run()
        except Exception as exc:  # reported as a failed check and alerted, never swallowed
            return [Finding(source, what, "could_not_run", "", False, ERROR, f"{type(exc).__name__}: {exc}"[:500])]

    resource = warehouse_resource(settings)
    opened: list[Warehouse] = []
    parts: list = []
    report.findings += guarded("rule", "raw/load_log", lambda: _latest(resource, opened, settings, days, parts))
    if parts:
        warehouse = opened[0]
        echo(f"latest partitions ({settings.env.value}): " + ", ".join(f"{p.day}|{p.symbol}" for p in parts))
        report.findings += guarded("rule", "raw", lambda: raw_findings(warehouse, parts))
        report.findings += guarded("rule", "features", lambda: feature_findings(warehouse, parts))
        if dbt:
            window = pairs_window_vars((p.day, p.symbol) for p in parts)
            report.findings += guarded("dbt", "dbt test", lambda: dbt_test_findings(resource, window))
        if dagster:
            from binance_assets.ops.dagster_checks import dagster_check_findings

            report.findings += guarded(
                "dagster", "asset checks", lambda: dagster_check_findings(_locations(settings), parts, skip=skip)
            )
    for finding in report.findings:
        echo(format_line(finding))
    report.failed = failures(report.findings, include_warnings=fail_on_warn)
    warned = sum(1 for f in report.findings if f.failed) - len(report.failed)
    echo(f"{len(report.findings)} checks: {len(report.findings) - len(report.failed) - warned} passed, "
         f"{len(report.failed)} failed, {warned} warned")
    if report.failed:
        text = alert_text(report.failed, settings.env.value, len(report.findings))
        report.alert_sent = send_alert(text, webhook_url=os.environ.get(ALERT_WEBHOOK_ENV) or None)
        echo("alert sent" if report.alert_sent else f"alert NOT delivered (see the log; {ALERT_WEBHOOK_ENV})")
    return report
