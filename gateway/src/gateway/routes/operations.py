"""Liveness, readiness and metrics (REST_API.md "Operations").

Readiness covers what the gateway needs to answer: its database and every upstream's
gRPC health. The gateway neither publishes nor consumes events, so it holds no broker
connection; each service reports its own broker in its own /ready."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.envelope import Envelope, fail, ok
from gateway.openapi import errors
from gateway.views.common import Status

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=Envelope[Status], summary="Liveness: the process answers")
async def health() -> JSONResponse:
    return ok(Status(status="ok"))


@router.get(
    "/ready",
    response_model=Envelope[Status],
    responses=errors(503),
    summary="Readiness: the database and every upstream's gRPC health",
)
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
    if failing:
        return fail(
            503,
            "NOT_READY",
            "not ready: " + ", ".join(sorted(failing)),
            {"failing": failing},
            headers={"Retry-After": "5"},
        )
    return ok(Status(status="ready"))


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
