"""Fixtures of the gateway tests: a fresh gateway DB per test, the real pricing service
in-process behind real gRPC, and the gateway app driven through httpx (ASGI)."""

from __future__ import annotations

# isort: off
from . import _real_gateway  # noqa: F401 - must run before any `gateway.*` import
# isort: on

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from cypher.orders.v1 import events_pb2 as orders_events
from cypher_runtime.clock import FixedClock
from cypher_runtime.messaging.broker import declare_exchanges
from cypher_testkit.broker import BrokerScope, new_scope
from cypher_testkit.databases import drop_database, migrated_database
from cypher_testkit.events import publish_event
from cypher_testkit.infra import amqp_url
from cypher_testkit.proxy import free_port
from gateway.app import create_app
from gateway.main import MIGRATIONS
from gateway.settings import GatewaySettings
from pricing.main import MIGRATIONS as PRICING_MIGRATIONS
from pricing.main import build as build_pricing
from pricing.settings import PricingSettings

TEST_SECRET = "test-secret-" + "x" * 40
ADMIN_EMAIL = "admin@cypher.local"
ADMIN_PASSWORD = "admin-password-123"
PASSWORD = "user-password-123"


@dataclass
class PricingService:
    addr: str
    scope: BrokerScope

    async def known_customer(self) -> str:
        """A new customer id that pricing learns of as from orders (customer.upserted);
        only a known customer may get a tier override."""
        customer_id = str(uuid.uuid4())
        connection = await aio_pika.connect(self.scope.amqp_url)
        try:
            exchange = await declare_exchanges(await connection.channel(), self.scope.exchange)
            await publish_event(
                exchange,
                orders_events.CustomerUpserted(customer_id=customer_id, name="Ion", version=1),
                subject=customer_id,
                aggregate_type="customer",
                version=1,
                source="/cypher/orders",
            )
        finally:
            await connection.close()
        return customer_id


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def pricing_service() -> AsyncIterator[PricingService]:
    """The real pricing service, in-process, shared by the session (tests use unique skus)."""
    url = await migrated_database("pricing", PRICING_MIGRATIONS)
    scope = new_scope(amqp_url())
    grpc_port = free_port()
    runtime = build_pricing(
        PricingSettings(
            database_url=url,
            grpc_port=grpc_port,
            http_port=free_port(),
            amqp_url=scope.amqp_url,
            events_exchange=scope.exchange,
            queue_prefix=scope.queue_prefix,
        )
    )
    await runtime.start()
    try:
        yield PricingService(addr=f"127.0.0.1:{grpc_port}", scope=scope)
    finally:
        await runtime.stop()
        await drop_database(url)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest_asyncio.fixture(loop_scope="session")
async def gateway_settings(
    database_factory: Callable[[str, Path | None], Awaitable[str]],
    pricing_service: PricingService,
) -> GatewaySettings:
    url = await database_factory("gateway", MIGRATIONS)
    # Nothing listens on these: the optional aggregate parts must degrade, not fail.
    dead = f"127.0.0.1:{free_port()}"
    return GatewaySettings(
        database_url=url,
        db_pool_size=5,
        jwt_secret=TEST_SECRET,
        amqp_url=amqp_url(),
        pricing_addr=pricing_service.addr,
        inventory_addr=dead,
        orders_addr=dead,
        quotations_addr=dead,
        suppliers_addr=dead,
        integration_addr=dead,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        aggregate_part_timeout_seconds=0.5,
    )


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient
    settings: GatewaySettings
    clock: FixedClock

    async def login(self, email: str, password: str, **extra: Any) -> httpx.Response:
        return await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password, **extra}
        )

    async def token(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> str:
        reply = await self.login(email, password)
        assert reply.status_code == 200, reply.text
        return str(reply.json()["data"]["access_token"])

    async def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}"}

    async def user_with_role(self, role: str) -> tuple[str, dict[str, str]]:
        """Create a user with `role` (as admin) and return (id, auth headers)."""
        email = f"{role}-{uuid.uuid4().hex[:8]}@cypher.local"
        created = await self.client.post(
            "/api/v1/users",
            json={"email": email, "password": PASSWORD, "full_name": role.title(), "role": role},
            headers=await self.admin(),
        )
        assert created.status_code == 201, created.text
        return created.json()["data"]["id"], {
            "Authorization": f"Bearer {await self.token(email, PASSWORD)}"
        }


async def start_gateway(settings: GatewaySettings, clock: FixedClock) -> AsyncIterator[Gateway]:
    app = create_app(settings, clock=clock)
    # https: the Secure cookies are only sent back over HTTPS.
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    )
    async with app.router.lifespan_context(app), client:
        yield Gateway(app=app, client=client, settings=settings, clock=clock)


@pytest_asyncio.fixture(loop_scope="session")
async def gateway(gateway_settings: GatewaySettings, clock: FixedClock) -> AsyncIterator[Gateway]:
    """The gateway with rate limits raised out of the way (tests of limits lower them)."""
    settings = gateway_settings.model_copy(
        update={
            "rate_limit_api": "10000/minute",
            "rate_limit_writes": "10000/minute",
            "rate_limit_login": "10000/minute",
            "rate_limit_2fa": "10000/minute",
        }
    )
    async for gw in start_gateway(settings, clock):
        yield gw
