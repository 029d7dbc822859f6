"""The HTTP side port of a service: /health (process), /ready (dependencies), /metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DependencyReport:
    """`failing`: what serving needs and lacks (not ready). `degraded`: what is away but
    does not stop serving (the broker: events wait in the outbox meanwhile)."""

    failing: dict[str, str] = field(default_factory=dict)
    degraded: dict[str, str] = field(default_factory=dict)


ReadinessCheck = Callable[[], Awaitable[DependencyReport]]


def side_app(service: str, readiness: ReadinessCheck) -> Starlette:
    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "service": service})

    async def ready(_: Request) -> Response:
        report = await readiness()
        if report.failing:
            return JSONResponse(
                {
                    "status": "unavailable",
                    "service": service,
                    "failing": report.failing,
                    "degraded": report.degraded,
                },
                status_code=503,
                headers={"Retry-After": "5"},
            )
        status = "degraded" if report.degraded else "ready"
        return JSONResponse({"status": status, "service": service, "degraded": report.degraded})

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/ready", ready),
            Route("/metrics", metrics),
        ]
    )


class HttpSidePort:
    def __init__(self, app: Starlette, host: str, port: int) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, access_log=False, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        # The process owns signal handling; uvicorn must not install its own.
        self.server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.server.serve(), name="http-side-port")
        while not self.server.started:
            if self._task.done():
                self._task.result()  # re-raise bind errors
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            await self._task
