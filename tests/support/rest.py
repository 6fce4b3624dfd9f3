"""Shared helpers for tests that talk to the Binance REST simulator."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FakeClock:
    """A clock the simulator and the client share; `sleep` advances it instead of waiting."""

    now: float
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
