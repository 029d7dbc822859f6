"""The FastAPI application: the only public entry point of CYPHER."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from starlette.middleware.cors import CORSMiddleware

from cypher_runtime.clock import Clock, SystemClock
from cypher_runtime.db import Database
from cypher_runtime.settings import Environment
from gateway import identity
from gateway.apikeys import ApiKeys
from gateway.audit import AuditMiddleware
from gateway.edge import EdgeGuardMiddleware
from gateway.errors import install_error_handlers
from gateway.middleware import (
    API_PREFIX,
    RequestContextMiddleware,
    RouteSpanName,
    SecurityHeadersMiddleware,
    span_details,
)
from gateway.openapi import install_openapi
from gateway.ratelimit import RateLimiter, RateLimitMiddleware
from gateway.revocation import TokenVersions
from gateway.routes import (
    api_keys,
    auth,
    customers,
    dashboard,
    fulfilment,
    integrations,
    inventory,
    invoices,
    operations,
    orders,
    pricing,
    products,
    quotations,
    supplier_orders,
    suppliers,
    users,
    webhooks,
    woocommerce,
)
from gateway.security import TokenService
from gateway.settings import GatewaySettings
from gateway.upstreams import Upstreams

log = logging.getLogger(__name__)

# The routers of the public API, mounted under /api/v1. Adding an area = one line here
# (and its permissions in gateway/rbac.py).
API_ROUTERS: list[APIRouter] = [
    operations.router,
    auth.router,
    users.router,
    api_keys.router,
    products.router,
    pricing.router,
    inventory.router,
    customers.router,
    orders.router,
    fulfilment.router,
    quotations.router,
    suppliers.router,
    supplier_orders.router,
    woocommerce.router,
    invoices.router,
    integrations.router,
    dashboard.router,
    webhooks.router,
]

# Paths under /api/v1 that need no authentication (everything else declares a permission).
PUBLIC_API_PATHS = frozenset(
    f"{API_PREFIX}{p}" for p in ("/health", "/ready", "/metrics", "/auth/login", "/auth/refresh")
)


async def _bootstrap_admin(app: FastAPI, settings: GatewaySettings, clock: Clock) -> None:
    """Create the first admin; while the DB is unreachable keep trying in the background
    rather than crash-looping (readiness reports the DB meanwhile)."""
    delay = 0.5
    while True:
        try:
            await identity.bootstrap_admin(db=app.state.db, settings=settings, now=clock.now())
            return
        except Exception:
            log.exception("bootstrap admin failed; retrying")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


HOUSEKEEPING_SECONDS = 600.0


async def _housekeeping(app: FastAPI, clock: Clock) -> None:
    """Purge expired idempotency keys and refresh tokens every 10 minutes."""
    while True:
        await asyncio.sleep(HOUSEKEEPING_SECONDS)
        try:
            await identity.purge_expired(db=app.state.db, now=clock.now())
        except Exception:
            log.exception("housekeeping failed; next round in 10 minutes")


def create_app(settings: GatewaySettings, *, clock: Clock | None = None) -> FastAPI:
    """Build the app; `clock` is injectable so token expiry is testable without sleeping."""
    the_clock: Clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Database(settings.database_url, pool_size=settings.db_pool_size)
        app.state.upstreams = Upstreams(settings)
        bootstrap = asyncio.create_task(_bootstrap_admin(app, settings, the_clock))
        # Normally done at once; only a DB outage at start-up leaves it running.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(bootstrap), timeout=10)
        housekeeping = asyncio.create_task(_housekeeping(app, the_clock))
        try:
            yield
        finally:
            housekeeping.cancel()
            bootstrap.cancel()
            await app.state.upstreams.close()
            await app.state.db.dispose()

    app = FastAPI(
        title="CYPHER API",
        version="1.0.0",
        description="Public REST API of CYPHER (see REST_API.md). Every response uses the "
        "envelope `{success, data, error, metadata}`.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        # operationId = the handler's name (unique), so generated clients read well.
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.settings = settings
    app.state.clock = the_clock
    app.state.db = None
    app.state.tokens = TokenService(
        settings.jwt_secret, access_ttl_seconds=settings.access_token_ttl_seconds, clock=the_clock
    )
    app.state.rate_limiter = RateLimiter(settings)
    app.state.token_versions = TokenVersions(
        lambda: app.state.db, ttl_seconds=settings.token_check_seconds
    )
    app.state.api_keys = ApiKeys(
        lambda: app.state.db, clock=the_clock, ttl_seconds=settings.token_check_seconds
    )
    install_error_handlers(app)

    # Added innermost first: request context (outermost) → security headers → CORS →
    # edge guard → audit (so refused and rate-limited writes are audited too) → rate
    # limits → routes.
    app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter)
    app.add_middleware(AuditMiddleware, db_of=lambda: app.state.db, clock=the_clock)
    # Hostile text and JSON shapes are refused before the audit or a route reads them.
    app.add_middleware(EdgeGuardMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origin_list(),
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "Idempotency-Key",
            "X-Request-ID",
            "X-CSRF-Token",
            "X-API-Key",
        ],
        expose_headers=[
            "X-Request-ID",
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "Retry-After",
            "Idempotent-Replayed",
        ],
        max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.env != Environment.DEVELOPMENT)
    app.add_middleware(RouteSpanName)
    app.add_middleware(RequestContextMiddleware)
    # Tracing outermost, so logs of everything below carry the trace id. Plain ASGI
    # instrumentation: no spans per ASGI receive/send message, no route re-matching.
    app.add_middleware(
        OpenTelemetryMiddleware,
        excluded_urls="health,ready,metrics",
        default_span_details=span_details,
        exclude_spans=["receive", "send"],
    )

    # Operations endpoints answer both at the root (probes) and under the API prefix; the
    # document describes them once, under the prefix.
    app.include_router(operations.router, include_in_schema=False)
    # Each area directly under the app (not nested in one /api/v1 router): one level less
    # for FastAPI's route matching on every request.
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    install_openapi(app)
    return app
