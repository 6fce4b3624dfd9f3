"""What a request needs, built once per process in the app factory and stored on `app.state.services`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from binance_api.settings import ApiConfig


@dataclass
class Services:
    config: ApiConfig
    reader: Any
    verifier: Any
    engine: str
    extra: dict[str, Any] = field(default_factory=dict)
