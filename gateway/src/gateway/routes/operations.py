"""Liveness, readiness and metrics (REST_API.md "Operations")."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.envelope import fail, ok

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Liveness: the process answers")
async def health() -> JSONResponse:
    return ok({"status": "ok"})


@router.get("/ready", summary="Readiness: database, broker and every upstream's gRPC health")
async def ready(request: Request) -> JSONResponse:
    state = request.app.state
    failing: dict[str, str] = {}

    async def check_db() -> None:
        try:
            await state.db.ping(timeout=2.0)
        except Exception as exc:
            failing["database"] = f"{type(exc).__name__}: {exc}"[:300]

    async def check_upstreams() -> None:
        failing.update(await state.upstreams.failing())

    await asyncio.gather(check_db(), check_upstreams())
    if not state.broker.is_up():
        failing["broker"] = "not connected to RabbitMQ"
    if failing:
        return fail(
            503,
            "NOT_READY",
            "not ready: " + ", ".join(sorted(failing)),
            {"failing": failing},
            headers={"Retry-After": "5"},
        )
    return ok({"status": "ready"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
