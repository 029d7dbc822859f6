"""Webhook harness: the integration service in-process on a fresh PostgreSQL database
and a private exchange of the real RabbitMQ, real gRPC on loopback, real HTTP to a
receiver served by the test on 127.0.0.1 (allow-listed). Input events are published
as the other services' outbox relays publish them. Name resolution of the non-local
hosts goes through a table the test controls (a public name re-pointed inside)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import pytest_asyncio
from google.protobuf.message import Message

from cypher.integration.v1 import integration_pb2 as pb
from cypher.integration.v1 import integration_pb2_grpc
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.orders.v1 import orders_pb2
from cypher_runtime.grpc_client import make_channel
from cypher_testkit.broker import BrokerScope, delete_scope
from cypher_testkit.events import publish_event
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import free_port
from integration.main import MIGRATIONS, IntegrationApp, assemble
from integration.settings import IntegrationSettings

from .webhook_receiver import Receiver

DatabaseFactory = Callable[[str, Path | None], Awaitable[str]]


@dataclass
class TableResolver:
    names: dict[str, list[str]] = field(default_factory=dict)

    async def resolve(self, host: str, port: int) -> list[str]:
        return list(self.names.get(host, []))


@dataclass
class WebhookHarness:
    app: IntegrationApp
    stub: integration_pb2_grpc.IntegrationServiceAsyncStub
    scope: BrokerScope
    publisher: aio_pika.abc.AbstractRobustConnection
    resolver: TableResolver

    async def publish(self, message: Message, *, event_id: str = "") -> str:
        channel = await self.publisher.channel()
        try:
            exchange = await channel.get_exchange(self.scope.exchange)
            return await publish_event(
                exchange, message, subject="x", event_id=event_id or str(uuid.uuid4())
            )
        finally:
            await channel.close()

    async def status_changed(
        self,
        customer_id: str,
        to: orders_pb2.OrderStatus.ValueType,
        *,
        order_id: str = "",
        event_id: str = "",
    ) -> tuple[str, str]:
        order_id = order_id or str(uuid.uuid4())
        sent = await self.publish(
            orders_events.OrderStatusChanged(
                order_id=order_id,
                number="CMD-2026-000042",
                customer_id=customer_id,
                from_status=orders_pb2.ORDER_STATUS_QUOTE_ACCEPTED,
                to_status=to,
                version=3,
            ),
            event_id=event_id,
        )
        return order_id, sent

    async def endpoint(
        self, url: str, events: list[str], *, customer_id: str = "", secret: str = ""
    ) -> pb.WebhookEndpoint:
        reply = await self.stub.CreateWebhookEndpoint(
            pb.CreateWebhookEndpointRequest(
                customer_id=customer_id, url=url, event_types=events, secret=secret
            )
        )
        return reply.endpoint

    async def deliveries(self, endpoint_id: str) -> list[pb.WebhookDelivery]:
        reply = await self.stub.ListWebhookDeliveries(
            pb.ListWebhookDeliveriesRequest(endpoint_id=endpoint_id)
        )
        return list(reply.deliveries)

    async def deliveries_when(
        self,
        endpoint_id: str,
        predicate: Callable[[list[pb.WebhookDelivery]], bool],
        what: str,
        timeout: float = 20,
    ) -> list[pb.WebhookDelivery]:
        return await eventually(
            lambda: self.deliveries(endpoint_id), predicate, timeout=timeout, what=what
        )


@asynccontextmanager
async def running(
    database_factory: DatabaseFactory, scope: BrokerScope, **overrides: Any
) -> AsyncIterator[WebhookHarness]:
    url = await database_factory("integration", MIGRATIONS)
    settings = IntegrationSettings(
        database_url=url,
        grpc_port=free_port(),
        http_port=free_port(),
        orders_addr=f"127.0.0.1:{free_port()}",
        pricing_addr=f"127.0.0.1:{free_port()}",
        quotations_addr=f"127.0.0.1:{free_port()}",
        smtp_port=free_port(),
        amqp_url=scope.amqp_url,
        events_exchange=scope.exchange,
        queue_prefix=scope.queue_prefix,
        bind_host="127.0.0.1",
        health_check_seconds=0.2,
        outbox_poll_seconds=0.1,
        consumer_retry_delay_ms=200,
        db_pool_size=4,
        db_max_overflow=4,
        webhook_allow_hosts="127.0.0.1",
        webhook_retry_schedule="0.2,0.2,0.2",
        webhook_idle_seconds=0.2,
        webhook_timeout_seconds=3,
        **overrides,
    )
    resolver = TableResolver()
    app = assemble(settings, queue_prefix=scope.queue_prefix, resolver=resolver)
    async with AsyncExitStack() as stack:
        publisher = await aio_pika.connect_robust(scope.amqp_url)
        stack.push_async_callback(publisher.close)
        await app.runtime.start()
        stack.push_async_callback(app.runtime.stop)
        assert app.runtime.grpc is not None
        channel = make_channel(f"127.0.0.1:{app.runtime.grpc.port}")
        stack.push_async_callback(channel.close)
        await eventually(
            lambda: _consuming(app), lambda ok: ok, timeout=20, what="consumers started"
        )
        yield WebhookHarness(
            app=app,
            stub=integration_pb2_grpc.IntegrationServiceStub(channel),  # type: ignore[arg-type]
            scope=scope,
            publisher=publisher,
            resolver=resolver,
        )
    with suppress(Exception):
        await delete_scope(scope, [c.queue_name for c in app.runtime.consumers])


async def _consuming(app: IntegrationApp) -> bool:
    return all(getattr(c, "_tag", None) is not None for c in app.runtime.consumers)


@pytest_asyncio.fixture(loop_scope="session")
async def hooks(
    database_factory: DatabaseFactory, broker_scope: BrokerScope
) -> AsyncIterator[WebhookHarness]:
    async with running(database_factory, broker_scope) as harness:
        yield harness


@pytest_asyncio.fixture(loop_scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.stop()
