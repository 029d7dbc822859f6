"""Test harness: the inventory service running in-process on a fresh PostgreSQL database and
a private exchange of the real RabbitMQ, reached over real gRPC; an event tap that
collects what it publishes and a publisher of input events with CloudEvents headers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aio_pika
import asyncpg
from google.protobuf.message import Message

from cypher.inventory.v1 import inventory_pb2 as pb
from cypher.inventory.v1 import inventory_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.clock import FixedClock
from cypher_runtime.grpc_client import make_channel
from cypher_runtime.messaging.consumer import InboxConsumer
from cypher_runtime.messaging.envelope import event_registry, event_type_of
from cypher_testkit.broker import BrokerScope, delete_scope
from cypher_testkit.catalogue import announce_products
from cypher_testkit.events import publish_event
from cypher_testkit.infra import amqp_url
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import free_port
from inventory.main import MIGRATIONS, InventoryApp, assemble
from inventory.settings import InventorySettings

M = TypeVar("M", bound=Message)
BROKER_TIMEOUT = 30.0
DatabaseFactory = Callable[[str, Path | None], Awaitable[str]]


@dataclass
class EventTap:
    """A private queue bound to everything inventory publishes on the test exchange."""

    received: list[tuple[str, Message, dict[str, Any]]] = field(default_factory=list)

    def of(self, message_cls: type[M]) -> list[M]:
        wanted = event_type_of(message_cls)
        return [m for t, m, _ in self.received if t == wanted and isinstance(m, message_cls)]


@dataclass
class Running:
    runtime: Runtime
    app: InventoryApp
    clock: FixedClock
    settings: InventorySettings
    scope: BrokerScope
    target: str
    stub: inventory_pb2_grpc.InventoryServiceAsyncStub
    tap: EventTap
    _publisher: aio_pika.abc.AbstractRobustConnection
    known: set[str] = field(default_factory=set)

    @property
    def libpq_url(self) -> str:
        return self.settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.libpq_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def publish(self, message: Message, *, event_id: str | None = None) -> str:
        """Publish an input event exactly as the outbox relay of another service does."""
        channel = await self._publisher.channel()
        try:
            exchange = await channel.get_exchange(self.scope.exchange)
            return await publish_event(
                exchange,
                message,
                event_id=event_id,
                subject=str(getattr(message, "order_id", "") or "x"),
                aggregate_type="order",
                version=int(getattr(message, "version", 0) or 0) or None,
            )
        finally:
            await channel.close()

    async def events(
        self, message_cls: type[M], where: Callable[[M], bool], *, count: int = 1
    ) -> list[M]:
        """Wait until at least `count` published events of that type match `where`."""

        async def probe() -> list[M]:
            return [m for m in self.tap.of(message_cls) if where(m)]

        return await eventually(
            probe, lambda found: len(found) >= count, what=f"{count} {message_cls.__name__}"
        )

    async def publish_product(self, sku: str, *, version: int) -> None:
        """Publish one product event as pricing does, without waiting for it."""
        await announce_products(self.scope, [sku], version=version)

    async def catalogue(self, *skus: str, version: int = 1) -> None:
        """Announce products as pricing does and wait until inventory knows them."""
        await announce_products(self.scope, skus, version=version)

        async def learned() -> int:
            rows = await self.sql(
                "SELECT COUNT(*) AS n FROM known_products WHERE sku = ANY($1) AND version >= $2",
                list(skus),
                version,
            )
            return int(rows[0]["n"])

        await eventually(learned, lambda n: n == len(set(skus)), what=f"{skus} known")
        self.known.update(skus)

    async def receive(self, sku: str, warehouse: str, quantity: int) -> pb.ReceiveResponse:
        """A receipt of a catalogue product (announced first when the test has not)."""
        if sku not in self.known:
            await self.catalogue(sku)
        return await self.stub.Receive(
            pb.ReceiveRequest(sku=sku, warehouse=warehouse, quantity=quantity, reference="test")
        )

    async def availability(self, sku: str) -> pb.SkuAvailability:
        response = await self.stub.GetAvailability(pb.GetAvailabilityRequest(skus=[sku]))
        return response.items[0]

    async def wait_consumed(self, consumer_event_id: str) -> None:
        async def seen() -> int:
            rows = await self.sql("SELECT 1 FROM inbox WHERE event_id = $1", consumer_event_id)
            return len(rows)

        await eventually(seen, what=f"event {consumer_event_id} consumed")


def _started(consumer: InboxConsumer) -> Callable[[], Awaitable[str | None]]:
    async def tag() -> str | None:
        return consumer._tag

    return tag


async def _start_tap(
    connection: aio_pika.abc.AbstractRobustConnection, scope: BrokerScope, tap: EventTap
) -> str:
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        scope.exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(f"{scope.queue_prefix}tap", exclusive=True)
    await queue.bind(exchange, routing_key="inventory.#")

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            event_type = message.routing_key or ""
            body = event_registry()[event_type]()
            body.ParseFromString(message.body)
            tap.received.append((event_type, body, dict(message.headers or {})))

    await queue.consume(on_message)
    return queue.name


@asynccontextmanager
async def running_service(
    database_factory: DatabaseFactory, broker_scope: BrokerScope, **overrides: Any
) -> AsyncIterator[Running]:
    """Start the service in-process; stop it and remove its queues afterwards."""
    url = await database_factory("inventory", MIGRATIONS)
    options: dict[str, Any] = {
        "db_pool_size": 20,
        "db_max_overflow": 20,
        "expiry_interval_seconds": 0.05,
        "outbox_poll_seconds": 0.2,
        "consumer_retry_delay_ms": 200,
        "consumer_max_retries": 1,
        **overrides,
    }
    settings = InventorySettings(
        database_url=url,
        grpc_port=free_port(),
        http_port=free_port(),
        bind_host="127.0.0.1",
        amqp_url=amqp_url(),
        events_exchange=broker_scope.exchange,
        **options,
    )
    clock = FixedClock(datetime.now(UTC))
    app = assemble(settings, clock=clock, queue_prefix=broker_scope.queue_prefix)
    runtime = app.runtime
    # Bounded: a broker that accepts TCP but never answers must fail the test, not hang it.
    publisher = await asyncio.wait_for(aio_pika.connect_robust(amqp_url()), BROKER_TIMEOUT)
    tap = EventTap()
    await runtime.start()
    channel = make_channel(f"127.0.0.1:{settings.grpc_port}")
    try:
        for consumer in runtime.consumers:
            await eventually(_started(consumer), what=f"{consumer.queue_name} started")
        await asyncio.wait_for(_start_tap(publisher, broker_scope, tap), BROKER_TIMEOUT)
        running = Running(
            runtime=runtime,
            app=app,
            clock=clock,
            settings=settings,
            scope=broker_scope,
            target=f"127.0.0.1:{settings.grpc_port}",
            stub=inventory_pb2_grpc.InventoryServiceStub(channel),
            tap=tap,
            _publisher=publisher,
        )
        yield running
    finally:
        await channel.close()
        await runtime.stop()
        await publisher.close()
        await asyncio.wait_for(
            delete_scope(broker_scope, [c.queue_name for c in runtime.consumers]), BROKER_TIMEOUT
        )
