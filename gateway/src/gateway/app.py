"""The FastAPI application: the only public entry point of CYPHER."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cypher_runtime.clock import Clock, SystemClock
from cypher_runtime.db import Database
from cypher_runtime.messaging.broker import Broker
from fastapi import APIRouter, FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from gateway.errors import install_error_handlers
from gateway.middleware import RequestContextMiddleware
from gateway.routes import operations
from gateway.security import TokenService
from gateway.settings import GatewaySettings
from gateway.upstreams import Upstreams

API_PREFIX = "/api/v1"

# The routers of the public API, mounted under /api/v1. Adding an area = one line here.
API_ROUTERS: list[APIRouter] = [
    operations.router,
]


def create_app(settings: GatewaySettings, *, clock: Clock | None = None) -> FastAPI:
    """Build the app; `clock` is injectable so token expiry is testable without sleeping."""
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.db = Database(settings.database_url, pool_size=settings.db_pool_size)
        app.state.broker = Broker(settings.amqp_url, settings.events_exchange, service="gateway")
        app.state.broker.start()
        app.state.upstreams = Upstreams(settings)
        try:
            yield
        finally:
            await app.state.upstreams.close()
            await app.state.broker.close()
            await app.state.db.dispose()

    app = FastAPI(
        title="CYPHER API",
        version="1.0.0",
        description="Public REST API of CYPHER (see REST_API.md). Every response uses the envelope "
        "`{success, data, error, metadata}`.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.tokens = TokenService(
        settings.jwt_secret, access_ttl_seconds=settings.access_token_ttl_seconds, clock=clock
    )
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    # Operations endpoints answer both at the root (probes) and under the API prefix.
    app.include_router(operations.router)
    api = APIRouter(prefix=API_PREFIX)
    for router in API_ROUTERS:
        api.include_router(router)
    app.include_router(api)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health,ready,metrics")
    return app
