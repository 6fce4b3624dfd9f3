"""One day of one raw table, every symbol in it: the per-symbol loads folded into the day's check results and
materialization metadata. No Dagster here (the asset turns `DayResult` into events).

Each (day, symbol) is audited and published on its own (write-audit-publish per file, as before): a refused
file leaves that symbol's published rows as they were and does not stop the other symbols. The day's check
results judge what the run published:
- every file of the run refused (nothing published): each blocking check fails with the refused files'
  findings, as a single-file run always did;
- some published, some refused: the checks pass for the published rows (the refused ones never became
  visible) and list the refused symbols; the step then fails, naming them, so the run is red and alerts fire;
- `id_continuity` (a warning) fails if any published symbol has a hole, naming the symbols.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from binance_assets.ingestion.rules import CheckOutcome


@dataclass(frozen=True)
class SymbolLoad:
    """What became of one symbol's file (or REST fill) of the day."""

    symbol: str
    status: str  # published | refused | not_yet_published | unchanged | error
    checks: tuple[CheckOutcome, ...] = ()
    rows: int = 0
    detail: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class DayResult:
    table: str
    day: dt.date
    loads: list[SymbolLoad] = field(default_factory=list)

    def by_status(self, status: str) -> list[str]:
        return sorted(load.symbol for load in self.loads if load.status == status)

    @property
    def published(self) -> list[str]:
        return self.by_status("published")

    @property
    def failed(self) -> list[SymbolLoad]:
        return [load for load in self.loads if load.status in ("refused", "error")]

    def check_outcomes(self) -> list[CheckOutcome]:
        """One outcome per check name over the day's symbols (see the module docstring)."""
        names: dict[str, bool] = {}
        for load in self.loads:
            for outcome in load.checks:
                names.setdefault(outcome.name, outcome.blocking)
        nothing_published = not self.published
        out = []
        for name, blocking in names.items():
            per_symbol = {
                load.symbol: outcome
                for load in self.loads
                for outcome in load.checks
                if outcome.name == name and (nothing_published or load.status == "published")
            }
            failing = {s: o for s, o in per_symbol.items() if not o.passed}
            refused = {
                load.symbol: next((o.summary for o in load.checks if o.name == name and not o.passed), "")
                for load in self.loads
                if load.status == "refused" and not nothing_published
            }
            refused = {s: text for s, text in refused.items() if text}
            summary = _summary(name, per_symbol, failing, refused)
            metadata: dict[str, Any] = {"symbols_checked": len(per_symbol)}
            if failing:
                metadata["failed_symbols"] = {s: o.summary for s, o in sorted(failing.items())}
            if refused:
                metadata["refused_symbols_not_published"] = dict(sorted(refused.items()))
            if len(per_symbol) == 1:  # one symbol: its own outcome's details, as a single-file run reports them
                metadata |= next(iter(per_symbol.values())).metadata
            out.append(
                CheckOutcome(
                    name=name,
                    passed=not failing,
                    blocking=blocking,
                    summary=summary,
                    failure_count=sum(o.failure_count for o in failing.values()),
                    metadata=metadata,
                )
            )
        return out

    def metadata(self) -> dict[str, Any]:
        """The day's materialization metadata: rows, and the symbols by what became of them."""
        out: dict[str, Any] = {
            "dagster/row_count": sum(load.rows for load in self.loads if load.status == "published"),
            "symbols_published": len(self.published),
        }
        for status in ("published", "unchanged", "not_yet_published", "refused", "error"):
            symbols = self.by_status(status)
            if symbols:
                out[f"{status}_symbols"] = symbols if len(symbols) <= 50 else [*symbols[:50], f"... {len(symbols)}"]
        if len(self.loads) == 1 and self.loads[0].status == "published":
            out |= self.loads[0].metadata  # one symbol: its file's details (source url, sha256, ids)
        return out

    def failure_description(self) -> str:
        failed = "; ".join(f"{load.symbol}: {load.detail}" for load in self.failed)
        kept = f" {len(self.published)} other symbols were published." if self.published else ""
        return (
            f"raw.{self.table} {self.day}: {len(self.failed)} file(s) not published ({failed}). Their published "
            f"partitions are unchanged.{kept}"
        )


def _summary(name: str, per_symbol: dict, failing: dict, refused: dict) -> str:
    if len(per_symbol) == 1:
        return next(iter(per_symbol.values())).summary
    if failing:
        shown = "; ".join(f"{s}: {o.summary}" for s, o in sorted(failing.items())[:5])
        return f"{name} failed for {len(failing)} of {len(per_symbol)} symbols: {shown}"
    text = f"{name} passed for all {len(per_symbol)} published symbols"
    if refused:
        text += f"; refused, not published: {', '.join(sorted(refused))}"
    return text
