"""An in-process pricing service on a fresh database and an isolated broker scope, with a
gRPC stub, a settable clock, a tap on the events it publishes and a way to send it events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import grpc
import pytest
from aio_pika.abc import AbstractIncomingMessage
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from cypher.common.v1 import money_pb2
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_runtime.clock import FixedClock
from cypher_runtime.grpc_client import make_channel
from cypher_runtime.grpc_errors import RemoteError, error_from_rpc
from cypher_runtime.messaging.broker import declare_exchanges
from cypher_runtime.messaging.consumer import decode
from cypher_runtime.messaging.envelope import ReceivedEvent
from cypher_testkit.broker import BrokerScope
from cypher_testkit.events import publish_event
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import free_port
from pricing.main import MIGRATIONS, PricingApp, assemble
from pricing.settings import PricingSettings

pb = pricing_pb2

DatabaseFactory = Callable[[str, Path | None], Awaitable[str]]

# A Monday morning after the 2025-08-01 VAT change (standard rate 21 %).
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass
class EventTap:
    """Every event published on the scope's exchange, decoded, in arrival order."""

    received: list[ReceivedEvent] = field(default_factory=list)

    def of_type(self, event_type: str) -> list[ReceivedEvent]:
        return [e for e in self.received if e.type == event_type]

    async def wait_for(
        self,
        event_type: str,
        predicate: Callable[[Any], bool] = lambda _: True,
        *,
        count: int = 1,
        timeout: float = 15.0,
    ) -> list[Any]:
        """The messages of `event_type` matching `predicate`, once at least `count` arrived."""

        async def probe() -> list[Any]:
            return [e.message for e in self.of_type(event_type) if predicate(e.message)]

        return await eventually(
            probe, lambda found: len(found) >= count, timeout=timeout, what=event_type
        )


@dataclass
class Running:
    app: PricingApp
    settings: PricingSettings
    stub: pricing_pb2_grpc.PricingServiceAsyncStub
    clock: FixedClock
    events: EventTap
    scope: BrokerScope
    exchange: aio_pika.abc.AbstractExchange

    async def publish(
        self,
        message: Message,
        *,
        subject: str,
        aggregate_type: str,
        version: int | None,
        event_id: str | None = None,
        source: str = "/cypher/test",
    ) -> str:
        """Publish like another service's outbox relay does (CloudEvents AMQP headers)."""
        return await publish_event(
            self.exchange,
            message,
            subject=subject,
            aggregate_type=aggregate_type,
            version=version,
            event_id=event_id,
            source=source,
        )

    async def consumers_ready(self) -> None:
        """Wait until every inbox queue exists, is bound and has its consumer."""
        connection = await aio_pika.connect(self.scope.amqp_url)
        try:
            channel = await connection.channel()

            async def consuming() -> bool:
                for consumer in self.app.runtime.consumers:
                    try:
                        q = await channel.declare_queue(consumer.queue_name, passive=True)
                    except aio_pika.exceptions.ChannelClosed:
                        return False
                    if not q.declaration_result.consumer_count:
                        return False
                return True

            async def probe() -> bool:
                nonlocal channel
                if channel.is_closed:
                    channel = await connection.channel()
                return await consuming()

            await eventually(probe, what="inbox consumers running")
        finally:
            await connection.close()

    async def processed(self, event_id: str) -> None:
        """Wait until an inbox consumer recorded the event (applied, stale or duplicate)."""
        from sqlalchemy import select

        from cypher_runtime.messaging.outbox_store import inbox

        async def probe() -> bool:
            async with self.app.runtime.db.engine.connect() as conn:
                row = await conn.execute(
                    select(inbox.c.event_id).where(inbox.c.event_id == event_id)
                )
                return row.first() is not None

        await eventually(probe, what=f"event {event_id} in the inbox")


# -- helpers shared by the tests --------------------------------------------------------
def money(amount: str, currency: str = "RON") -> money_pb2.Money:
    return money_pb2.Money(amount=amount, currency=currency)


def ts(value: object) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)  # type: ignore[arg-type]
    return out


async def create(
    pricing: Running,
    sku: str = "LED-1",
    *,
    cost: str = "100",
    margin: str = "35",
    category: str = "bulbs",
    currency: str = "RON",
    vat: int = pb.VAT_CATEGORY_UNSPECIFIED,
    supplier_id: str = "",
    follows: bool = False,
) -> pb.Product:
    response = await pricing.stub.CreateProduct(
        pb.CreateProductRequest(
            sku=sku,
            name=f"Bulb {sku}",
            category=category,
            unit="buc",
            cost=money(cost, currency),
            margin_pct=margin,
            vat_category=vat,  # type: ignore[arg-type]
            supplier_id=supplier_id,
            follows_supplier_price=follows,
        )
    )
    return response.product


async def known_customer(
    pricing: Running, customer_id: str | None = None, *, version: int = 1
) -> str:
    """A customer pricing knows: orders' customer.upserted, published on the broker and
    consumed (only a known customer may get a tier override)."""
    customer_id = customer_id or str(uuid.uuid4())
    event_id = await pricing.publish(
        orders_events.CustomerUpserted(
            customer_id=customer_id,
            name="Ion Popescu",
            email="ion@lumina.ro",
            company="Lumina SRL",
            vat_code="RO14399840",
            version=version,
            occurred_at=ts(pricing.clock.now()),
        ),
        subject=customer_id,
        aggregate_type="customer",
        version=version,
        source="/cypher/orders",
    )
    await pricing.processed(event_id)
    return customer_id


async def rpc_error(call: object) -> RemoteError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return error_from_rpc(caught.value)


@asynccontextmanager
async def running_service(
    database_factory: DatabaseFactory,
    scope: BrokerScope,
    *,
    database_url: str | None = None,
    clock: FixedClock | None = None,
    **overrides: Any,
) -> AsyncIterator[Running]:
    """A running service; pass `database_url` (and `clock`) to run a second replica.
    The `broker_scope` fixture deletes the scope's queues and exchanges afterwards."""
    url = database_url or await database_factory("pricing", MIGRATIONS)
    settings = PricingSettings(
        database_url=url,
        grpc_port=free_port(),
        http_port=free_port(),
        bind_host="127.0.0.1",
        amqp_url=scope.amqp_url,
        events_exchange=scope.exchange,
        promotion_poll_seconds=0.05,
        consumer_retry_delay_ms=100,
        health_check_seconds=0.5,
        shutdown_grace_seconds=0.5,
        db_pool_size=5,
        **overrides,
    )
    clock = clock or FixedClock(START)
    app = assemble(settings, queue_prefix=scope.queue_prefix, clock=clock)

    tap = EventTap()
    connection = await aio_pika.connect(scope.amqp_url)
    channel = await connection.channel()
    exchange = await declare_exchanges(channel, scope.exchange)
    queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key="pricing.#")

    async def on_message(message: AbstractIncomingMessage) -> None:
        async with message.process():
            tap.received.append(decode(message))

    await queue.consume(on_message)
    await app.runtime.start()
    grpc_channel = make_channel(f"127.0.0.1:{settings.grpc_port}")
    running = Running(
        app=app,
        settings=settings,
        stub=pricing_pb2_grpc.PricingServiceStub(grpc_channel),  # type: ignore[arg-type]
        clock=clock,
        events=tap,
        scope=scope,
        exchange=exchange,
    )
    try:
        await running.consumers_ready()
        yield running
    finally:
        await grpc_channel.close()
        await app.runtime.stop()
        await connection.close()
