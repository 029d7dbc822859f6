"""Integration harness: orders, inventory and pricing running in-process on fresh
PostgreSQL databases and one private exchange of the real RabbitMQ, reached over real
gRPC on free loopback ports; a tap on everything published and a publisher of input
events with CloudEvents headers (as another service's outbox relay sends them)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import aio_pika
import asyncpg
import grpc
from google.protobuf.message import Message

from cypher.common.v1 import money_pb2
from cypher.inventory.v1 import inventory_pb2 as inv
from cypher.inventory.v1 import inventory_pb2_grpc
from cypher.orders.v1 import orders_pb2 as pb
from cypher.orders.v1 import orders_pb2_grpc
from cypher.pricing.v1 import pricing_pb2 as pr
from cypher.pricing.v1 import pricing_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.clock import Clock
from cypher_runtime.grpc_client import make_channel
from cypher_runtime.messaging.consumer import decode
from cypher_runtime.messaging.envelope import event_type_of
from cypher_testkit.broker import BrokerScope, delete_scope
from cypher_testkit.catalogue import announce_products, when_known
from cypher_testkit.events import publish_event
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import free_port
from inventory.main import MIGRATIONS as INVENTORY_MIGRATIONS
from inventory.main import assemble as assemble_inventory
from inventory.settings import InventorySettings
from orders.main import MIGRATIONS as ORDERS_MIGRATIONS
from orders.main import OrdersApp, assemble
from orders.placement import AfterReserve
from orders.settings import OrdersSettings
from orders.upstreams import InventoryPort, PricingPort
from pricing.main import MIGRATIONS as PRICING_MIGRATIONS
from pricing.main import build as build_pricing
from pricing.settings import PricingSettings

M = TypeVar("M", bound=Message)
DatabaseFactory = Callable[[str, Path | None], Awaitable[str]]


@dataclass
class EventTap:
    received: list[tuple[str, Message]] = field(default_factory=list)

    def of(self, message_cls: type[M]) -> list[M]:
        wanted = event_type_of(message_cls)
        return [m for t, m in self.received if t == wanted and isinstance(m, message_cls)]


@dataclass
class Stack:
    orders: OrdersApp
    orders_stub: orders_pb2_grpc.OrdersServiceAsyncStub
    inventory_stub: inventory_pb2_grpc.InventoryServiceAsyncStub
    pricing_stub: pricing_pb2_grpc.PricingServiceAsyncStub
    scope: BrokerScope
    tap: EventTap
    orders_url: str
    inventory_url: str
    publisher: aio_pika.abc.AbstractRobustConnection
    runtimes: list[Runtime]

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(
            self.orders_url.replace("postgresql+asyncpg://", "postgresql://")
        )
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def publish(self, message: Message, *, subject: str = "x") -> str:
        channel = await self.publisher.channel()
        try:
            exchange = await channel.get_exchange(self.scope.exchange)
            return await publish_event(exchange, message, subject=subject)
        finally:
            await channel.close()

    async def events(
        self, message_cls: type[M], where: Callable[[M], bool], *, count: int = 1
    ) -> list[M]:
        async def probe() -> list[M]:
            return [m for m in self.tap.of(message_cls) if where(m)]

        return await eventually(
            probe, lambda found: len(found) >= count, what=f"{count} {message_cls.__name__}"
        )

    # -- test data -------------------------------------------------------------------------
    async def customer(self, name: str = "Lumina SRL") -> str:
        reply = await self.orders_stub.CreateCustomer(
            pb.CreateCustomerRequest(
                name=name, email=f"{uuid.uuid4().hex[:8]}@lumina.ro", vat_code="RO14399840"
            )
        )
        return reply.customer.id

    async def stock(self, sku: str, quantity: int, warehouse: str = "A") -> None:
        # Tests stock skus they never created in pricing: inventory must know them first.
        async def announce() -> None:
            await announce_products(self.scope, [sku])

        await announce()
        request = inv.ReceiveRequest(
            sku=sku, warehouse=warehouse, quantity=quantity, reference="test"
        )
        await when_known(lambda: self.inventory_stub.Receive(request), announce=announce)

    async def available(self, sku: str) -> int:
        reply = await self.inventory_stub.GetAvailability(inv.GetAvailabilityRequest(skus=[sku]))
        return int(reply.items[0].total_available)

    async def product(self, sku: str, cost: str = "10.00", margin_pct: str = "50") -> None:
        await self.pricing_stub.CreateProduct(
            pr.CreateProductRequest(
                sku=sku,
                name=f"Product {sku}",
                category="led",
                unit="buc",
                cost=money_pb2.Money(amount=cost, currency="RON"),
                margin_pct=margin_pct,
            )
        )

    async def place(
        self,
        customer_id: str,
        lines: dict[str, int],
        *,
        key: str = "",
        allow_backorder: bool = False,
        unit_net: str | None = "10.00",
    ) -> pb.CreateOrderResponse:
        """Place an order; with `unit_net` the lines carry locked prices (pricing is not
        called), with None the real pricing service prices them."""
        return await self.orders_stub.CreateOrder(
            pb.CreateOrderRequest(
                customer_id=customer_id,
                lines=[
                    pb.OrderLineInput(
                        sku=sku,
                        quantity=qty,
                        locked_price=locked_price(sku, qty, unit_net) if unit_net else None,
                    )
                    for sku, qty in lines.items()
                ],
                allow_backorder=allow_backorder,
                idempotency_key=key,
            )
        )


def locked_price(sku: str, quantity: int, unit_net: str) -> pr.PricedLine:
    net = Decimal(unit_net) * quantity
    vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))
    ron = "RON"
    return pr.PricedLine(
        sku=sku,
        quantity=quantity,
        unit_net=money_pb2.Money(amount=unit_net, currency=ron),
        line_net=money_pb2.Money(amount=f"{net:.2f}", currency=ron),
        line_vat=money_pb2.Money(amount=f"{vat:.2f}", currency=ron),
        line_gross=money_pb2.Money(amount=f"{net + vat:.2f}", currency=ron),
        vat_rate="21",
        currency=ron,
        pricing_date="2026-03-01",
    )


async def _wait_serving(target: str) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    channel = make_channel(target)
    stub = health_pb2_grpc.HealthStub(channel)

    async def probe() -> int:
        try:
            return int((await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)).status)
        except grpc.aio.AioRpcError:
            return -1

    await eventually(
        probe,
        lambda s: s == health_pb2.HealthCheckResponse.SERVING,
        timeout=30,
        what=f"{target} SERVING",
    )
    await channel.close()


@asynccontextmanager
async def running_stack(
    database_factory: DatabaseFactory,
    scope: BrokerScope,
    *,
    clock: Clock | None = None,
    pricing_port: PricingPort | None = None,
    inventory_port: Callable[[str], InventoryPort] | None = None,
    run_recoverer: bool = False,
    after_reserve: AfterReserve | None = None,
    instance_timeout: float = 10.0,
    max_age: float = 120.0,
    db_pool_size: int = 10,
) -> AsyncIterator[Stack]:
    common: dict[str, Any] = {
        "amqp_url": scope.amqp_url,
        "events_exchange": scope.exchange,
        "queue_prefix": scope.queue_prefix,
        "bind_host": "127.0.0.1",
        "health_check_seconds": 0.2,
        "outbox_poll_seconds": 0.2,
        "consumer_retry_delay_ms": 200,
    }
    # One after the other: Alembic keeps global state, so parallel migrations collide.
    pricing_url = await database_factory("pricing", PRICING_MIGRATIONS)
    inventory_url = await database_factory("inventory", INVENTORY_MIGRATIONS)
    orders_url = await database_factory("orders", ORDERS_MIGRATIONS)
    pricing_port_no, inventory_port_no = free_port(), free_port()
    pricing_runtime = build_pricing(
        PricingSettings(
            database_url=pricing_url, grpc_port=pricing_port_no, http_port=free_port(), **common
        )
    )
    inventory_runtime = assemble_inventory(
        InventorySettings(
            database_url=inventory_url, grpc_port=inventory_port_no, http_port=free_port(), **common
        ),
        queue_prefix=scope.queue_prefix,
    ).runtime
    inventory_target = f"127.0.0.1:{inventory_port_no}"
    orders_settings = OrdersSettings(
        database_url=orders_url,
        grpc_port=free_port(),
        http_port=free_port(),
        pricing_addr=f"127.0.0.1:{pricing_port_no}",
        inventory_addr=inventory_target,
        saga_instance_timeout_seconds=instance_timeout,
        saga_max_age_seconds=max_age,
        saga_recover_interval_seconds=0.5,
        saga_heartbeat_seconds=0.5,
        idempotent_replay_wait_seconds=15,
        upstream_timeout_seconds=20,  # outcomes, not latency (see the channels below)
        db_pool_size=db_pool_size,
        **common,
    )
    app = assemble(
        orders_settings,
        clock=clock,
        after_reserve=after_reserve,
        pricing=pricing_port,
        inventory=inventory_port(inventory_target) if inventory_port else None,
        run_recoverer=run_recoverer,
    )
    runtimes = [pricing_runtime, inventory_runtime, app.runtime]
    tap = EventTap()
    async with AsyncExitStack() as stack:
        publisher = await aio_pika.connect_robust(scope.amqp_url)
        stack.push_async_callback(publisher.close)
        # The tap queue exists before anything publishes.
        channel = await publisher.channel()
        exchange = await channel.declare_exchange(
            scope.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        tap_queue = await channel.declare_queue(f"{scope.queue_prefix}tap", exclusive=True)
        await tap_queue.bind(exchange, routing_key="#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            event = decode(message)
            tap.received.append((event.type, event.message))
            await message.ack()

        await tap_queue.consume(on_message)
        for runtime in runtimes:
            await runtime.start()
            stack.push_async_callback(runtime.stop)
        # A generous deadline: the tests measure outcomes, not latency, and the machine
        # they run on may be busy (a burst of 30 sagas in one process).
        channels = [
            make_channel(rt.grpc.address.replace("0.0.0.0", "127.0.0.1"), default_timeout=60)
            for rt in runtimes
            if rt.grpc
        ]
        for ch in channels:
            stack.push_async_callback(ch.close)
        for rt in runtimes:
            assert rt.grpc is not None
            await _wait_serving(f"127.0.0.1:{rt.grpc.port}")
        pricing_stub = pricing_pb2_grpc.PricingServiceStub(channels[0])
        result = Stack(
            orders=app,
            orders_stub=orders_pb2_grpc.OrdersServiceStub(channels[2]),
            inventory_stub=inventory_pb2_grpc.InventoryServiceStub(channels[1]),
            pricing_stub=pricing_stub,
            scope=scope,
            tap=tap,
            orders_url=orders_url,
            inventory_url=inventory_url,
            publisher=publisher,
            runtimes=runtimes,
        )
        try:
            yield result
        finally:
            await channel.close()
    queues = [c.queue_name for rt in runtimes for c in rt.consumers]
    with suppress(Exception):
        await delete_scope(scope, queues)
