"""Integration harness: quotations with the real pricing, inventory and orders running
in-process on fresh PostgreSQL databases and one private exchange of the real RabbitMQ,
all reached over real gRPC on free loopback ports, plus a tap on everything published."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aio_pika
import asyncpg
import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cypher.common.v1 import address_pb2, money_pb2
from cypher.inventory.v1 import inventory_pb2 as inv
from cypher.inventory.v1 import inventory_pb2_grpc
from cypher.orders.v1 import orders_pb2 as ob
from cypher.orders.v1 import orders_pb2_grpc
from cypher.pricing.v1 import pricing_pb2 as pr
from cypher.pricing.v1 import pricing_pb2_grpc
from cypher.quotations.v1 import quotations_pb2 as qb
from cypher.quotations.v1 import quotations_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.clock import Clock
from cypher_runtime.grpc_client import make_channel
from cypher_runtime.messaging.consumer import decode
from cypher_runtime.messaging.envelope import event_type_of
from cypher_testkit.broker import BrokerScope, delete_scope
from cypher_testkit.catalogue import announce_products, when_known
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import free_port
from inventory.main import MIGRATIONS as INVENTORY_MIGRATIONS
from inventory.main import assemble as assemble_inventory
from inventory.settings import InventorySettings
from orders.main import MIGRATIONS as ORDERS_MIGRATIONS
from orders.main import assemble as assemble_orders
from orders.settings import OrdersSettings
from pricing.main import MIGRATIONS as PRICING_MIGRATIONS
from pricing.main import build as build_pricing
from pricing.settings import PricingSettings
from quotations.main import MIGRATIONS as QUOTATIONS_MIGRATIONS
from quotations.main import QuotationsApp, assemble
from quotations.settings import QuotationsSettings

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
    apps: list[QuotationsApp]
    quotations: quotations_pb2_grpc.QuotationsServiceAsyncStub
    orders: orders_pb2_grpc.OrdersServiceAsyncStub
    inventory: inventory_pb2_grpc.InventoryServiceAsyncStub
    pricing: pricing_pb2_grpc.PricingServiceAsyncStub
    tap: EventTap
    quotations_url: str
    settings: QuotationsSettings
    scope: BrokerScope

    @property
    def app(self) -> QuotationsApp:
        return self.apps[0]

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(
            self.quotations_url.replace("postgresql+asyncpg://", "postgresql://")
        )
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def events(
        self, message_cls: type[M], where: Callable[[M], bool], *, count: int = 1
    ) -> list[M]:
        async def probe() -> list[M]:
            return [m for m in self.tap.of(message_cls) if where(m)]

        return await eventually(
            probe, lambda found: len(found) >= count, what=f"{count} {message_cls.__name__}"
        )

    # -- test data -------------------------------------------------------------------------
    async def customer(self, company: str = "Lumină Și Țară SRL") -> str:
        reply = await self.orders.CreateCustomer(
            ob.CreateCustomerRequest(
                name="Ion Popescu",
                email=f"{uuid.uuid4().hex[:8]}@lumina.ro",
                company=company,
                vat_code="RO14399840",
                address=address_pb2.Address(
                    line1="Str. Ștefan cel Mare 3",
                    city="Iași",
                    county="Iași",
                    postal_code="700001",
                    country="RO",
                ),
            )
        )
        return reply.customer.id

    async def product(self, sku: str, cost: str = "10.00", margin_pct: str = "50") -> None:
        await self.pricing.CreateProduct(
            pr.CreateProductRequest(
                sku=sku,
                name=f"Bandă LED {sku} țesătură",
                category="led",
                unit="buc",
                cost=money_pb2.Money(amount=cost, currency="RON"),
                margin_pct=margin_pct,
            )
        )

    async def stock(self, sku: str, quantity: int, warehouse: str = "A") -> None:
        """Stock of a product created with `product()`: inventory learns it from pricing's
        product.upserted, so the receipt is repeated while that event is on its way (and
        the product announced again, should inventory's queue have bound after it)."""

        async def announce() -> None:
            await announce_products(self.scope, [sku])

        request = inv.ReceiveRequest(
            sku=sku, warehouse=warehouse, quantity=quantity, reference="test"
        )
        await when_known(lambda: self.inventory.Receive(request), announce=announce)

    async def available(self, sku: str) -> int:
        reply = await self.inventory.GetAvailability(inv.GetAvailabilityRequest(skus=[sku]))
        return int(reply.items[0].total_available)

    async def create(
        self, customer_id: str, lines: dict[str, int], **kwargs: Any
    ) -> qb.CreateQuotationResponse:
        return await self.quotations.CreateQuotation(
            qb.CreateQuotationRequest(
                customer_id=customer_id,
                lines=[qb.QuotationLineInput(sku=s, quantity=q) for s, q in lines.items()],
                **kwargs,
            )
        )


async def wait_serving(target: str) -> None:
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
    replicas: int = 1,
    run_sweep: bool = False,
    **quotation_settings: Any,
) -> AsyncIterator[Stack]:
    common: dict[str, Any] = {
        "amqp_url": scope.amqp_url,
        "events_exchange": scope.exchange,
        "queue_prefix": scope.queue_prefix,
        "bind_host": "127.0.0.1",
        "health_check_seconds": 0.2,
        "outbox_poll_seconds": 0.2,
        "consumer_retry_delay_ms": 200,
        "db_pool_size": 4,
    }
    # One after the other: Alembic keeps global state, so parallel migrations collide.
    pricing_url = await database_factory("pricing", PRICING_MIGRATIONS)
    inventory_url = await database_factory("inventory", INVENTORY_MIGRATIONS)
    orders_url = await database_factory("orders", ORDERS_MIGRATIONS)
    quotations_url = await database_factory("quotations", QUOTATIONS_MIGRATIONS)
    pricing_port, inventory_port, orders_port = free_port(), free_port(), free_port()
    pricing_runtime = build_pricing(
        PricingSettings(
            database_url=pricing_url, grpc_port=pricing_port, http_port=free_port(), **common
        )
    )
    inventory_runtime = assemble_inventory(
        InventorySettings(
            database_url=inventory_url, grpc_port=inventory_port, http_port=free_port(), **common
        ),
        queue_prefix=scope.queue_prefix,
    ).runtime
    orders_app = assemble_orders(
        OrdersSettings(
            database_url=orders_url,
            grpc_port=orders_port,
            http_port=free_port(),
            pricing_addr=f"127.0.0.1:{pricing_port}",
            inventory_addr=f"127.0.0.1:{inventory_port}",
            **common,
        ),
        run_recoverer=False,
    )
    settings = QuotationsSettings(
        database_url=quotations_url,
        grpc_port=free_port(),
        http_port=free_port(),
        pricing_address=f"127.0.0.1:{pricing_port}",
        orders_address=f"127.0.0.1:{orders_port}",
        **{**common, **quotation_settings},
    )
    apps = [
        assemble(
            settings.model_copy(update={"grpc_port": free_port(), "http_port": free_port()}),
            clock=clock,
            run_sweep=run_sweep,
        )
        for _ in range(replicas)
    ]
    runtimes: list[Runtime] = [
        pricing_runtime,
        inventory_runtime,
        orders_app.runtime,
        *(a.runtime for a in apps),
    ]
    tap = EventTap()
    async with AsyncExitStack() as stack:
        publisher = await aio_pika.connect_robust(scope.amqp_url)
        stack.push_async_callback(publisher.close)
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
        channels = []
        for runtime in runtimes:
            assert runtime.grpc is not None
            target = f"127.0.0.1:{runtime.grpc.port}"
            await wait_serving(target)
            channels.append(make_channel(target))
        for ch in channels:
            stack.push_async_callback(ch.close)
        result = Stack(
            apps=apps,
            quotations=quotations_pb2_grpc.QuotationsServiceStub(channels[3]),  # type: ignore[arg-type]
            orders=orders_pb2_grpc.OrdersServiceStub(channels[2]),  # type: ignore[arg-type]
            inventory=inventory_pb2_grpc.InventoryServiceStub(channels[1]),  # type: ignore[arg-type]
            pricing=pricing_pb2_grpc.PricingServiceStub(channels[0]),  # type: ignore[arg-type]
            tap=tap,
            quotations_url=quotations_url,
            settings=settings,
            scope=scope,
        )
        try:
            yield result
        finally:
            await channel.close()
    queues = [c.queue_name for rt in runtimes for c in rt.consumers]
    with suppress(Exception):
        await delete_scope(scope, queues)
