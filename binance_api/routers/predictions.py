"""/api/v1 predictions and models (filled in after the skeleton)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["predictions"])
