"""/health/live (the process answers) and /health/ready (warehouse, Redis, data freshness)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from binance_api.deps import ServicesDep
from binance_api.services.health import readiness

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", summary="The process is up.")
async def live() -> dict:
    return {"status": "ok"}


@router.get("/ready", summary="Warehouse readable, Redis reachable, data fresh (degraded otherwise).")
async def ready(services: ServicesDep) -> JSONResponse:
    body = await readiness(services.reader, services.redis, services.limiter.degraded,
                           services.config.api.stale_after_hours, run_in_threadpool)
    return JSONResponse(body, status_code=503 if body["status"] == "unavailable" else 200)
