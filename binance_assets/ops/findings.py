"""One check outcome as `binance-assets check` reports it, whatever ran it (a rule, dbt, Dagster). No Dagster."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ERROR = "ERROR"
WARN = "WARN"


@dataclass(frozen=True)
class Finding:
    source: str  # "rule" (the in-step rules on the published partition), "dbt" (dbt test), "dagster" (asset check)
    asset: str  # e.g. raw/spot_trades, marts/fct_bars_1m
    check: str
    partition: str  # "2025-01-02|BTCUSDT", a dbt window, or "" for an unpartitioned check
    passed: bool
    severity: str  # ERROR or WARN
    summary: str

    @property
    def failed(self) -> bool:
        return not self.passed


def failures(findings: Sequence[Finding], *, include_warnings: bool = False) -> list[Finding]:
    """The failed findings that fail the command: errors, and warnings too when `include_warnings`."""
    return [f for f in findings if f.failed and (include_warnings or f.severity == ERROR)]


def format_line(finding: Finding) -> str:
    status = "PASS" if finding.passed else ("FAIL" if finding.severity == ERROR else "WARN")
    where = f" [{finding.partition}]" if finding.partition else ""
    return f"{status:4} {finding.source:7} {finding.asset} / {finding.check}{where}: {finding.summary}"


def alert_text(failed: Sequence[Finding], env: str, checked: int) -> str:
    """The alert for the webhook (Slack mrkdwn): what failed, at most 20 lines."""
    lines = [f":rotating_light: Data quality check ({env}): {len(failed)} of {checked} check(s) failed"]
    lines += [f"• `{f.asset}` / `{f.check}`" + (f" [{f.partition}]" if f.partition else "") + f": {f.summary[:300]}"
              for f in failed[:20]]
    if len(failed) > 20:
        lines.append(f"… and {len(failed) - 20} more")
    return "\n".join(lines)
