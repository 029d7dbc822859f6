"""Integration harness: the integration service and pricing (the VAT rates) running
in-process on fresh PostgreSQL databases and a private exchange of the real RabbitMQ,
real gRPC on loopback, and the fake SmartBill of the `cypher-fakes` process reached over
real HTTP — through a TCP proxy the test can cut to take SmartBill away. Input events are
published as the orders service's outbox relay publishes them; a tap sees every event
published."""

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
import httpx
from google.protobuf.message import Message

from cypher.common.v1 import address_pb2, money_pb2
from cypher.integration.v1 import integration_pb2 as pb
from cypher.integration.v1 import integration_pb2_grpc
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.orders.v1 import orders_pb2
from cypher.pricing.v1 import pricing_pb2
from cypher_runtime.grpc_client import make_channel
from cypher_runtime.messaging.consumer import decode
from cypher_runtime.messaging.envelope import event_type_of
from cypher_testkit.broker import BrokerScope, delete_scope
from cypher_testkit.events import publish_event
from cypher_testkit.fakes import Fakes
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import TcpProxy, free_port
from integration.main import MIGRATIONS, IntegrationApp, assemble
from integration.settings import IntegrationSettings
from pricing.main import MIGRATIONS as PRICING_MIGRATIONS
from pricing.main import assemble as assemble_pricing
from pricing.settings import PricingSettings

M = TypeVar("M", bound=Message)
DatabaseFactory = Callable[[str, Path | None], Awaitable[str]]

# Short clocks so outages and retries play out in seconds; the throttle stays as in
# production (27 calls per 10 s against the fake's 30).
TEST_SETTINGS: dict[str, Any] = {
    "smartbill_timeout_seconds": 1.5,
    "smartbill_connect_timeout_seconds": 0.5,
    "smartbill_breaker_failures": 2,
    "smartbill_breaker_reset_seconds": 1.0,
    "smartbill_refusal_retry_seconds": 0.5,
    "dispatch_idle_seconds": 0.2,
    "payment_poll_seconds": 0.5,
    "create_wait_seconds": 3.0,
}


@dataclass
class EventTap:
    received: list[tuple[str, Message]] = field(default_factory=list)

    def of(self, message_cls: type[M]) -> list[M]:
        wanted = event_type_of(message_cls)
        return [m for t, m in self.received if t == wanted and isinstance(m, message_cls)]


@dataclass
class Harness:
    app: IntegrationApp
    stub: integration_pb2_grpc.IntegrationServiceAsyncStub
    fakes: Fakes
    proxy: TcpProxy
    control: httpx.AsyncClient
    scope: BrokerScope
    tap: EventTap
    publisher: aio_pika.abc.AbstractRobustConnection
    database_url: str

    # -- SmartBill (the fake's control API) ---------------------------------------------------
    async def documents(self, series: str = "FL") -> list[dict[str, Any]]:
        reply = await self.control.get("/_fake/documents", params={"series": series})
        reply.raise_for_status()
        return list(reply.json())

    async def requests(self) -> list[dict[str, Any]]:
        reply = await self.control.get("/_fake/requests")
        reply.raise_for_status()
        return list(reply.json())

    async def fault(self, mode: str, count: int = 1, **where: str) -> None:
        reply = await self.control.post(
            "/_fake/faults", json={"mode": mode, "count": count, **where}
        )
        reply.raise_for_status()

    async def rate_limit(self, **values: float) -> None:
        reply = await self.control.post("/_fake/ratelimit", json=values)
        reply.raise_for_status()

    async def pay(self, series: str, number: str, amount: str) -> None:
        reply = await self.control.post(
            "/_fake/payments", json={"series": series, "number": number, "amount": amount}
        )
        reply.raise_for_status()

    # -- events in and out -------------------------------------------------------------------
    async def publish(self, message: Message, *, subject: str = "x") -> str:
        channel = await self.publisher.channel()
        try:
            exchange = await channel.get_exchange(self.scope.exchange)
            return await publish_event(exchange, message, subject=subject)
        finally:
            await channel.close()

    async def events(
        self,
        message_cls: type[M],
        where: Callable[[M], bool],
        *,
        count: int = 1,
        timeout: float = 20,
    ) -> list[M]:
        async def probe() -> list[M]:
            return [m for m in self.tap.of(message_cls) if where(m)]

        return await eventually(
            probe,
            lambda found: len(found) >= count,
            timeout=timeout,
            what=f"{count} {message_cls.__name__}",
        )

    async def deliver(
        self,
        *,
        order_id: str | None = None,
        lines: list[orders_pb2.OrderLine] | None = None,
        customer: orders_pb2.Customer | None = None,
        delivery_date: str = "2025-07-30",
        number: str = "CMD-2025-000001",
    ) -> str:
        """Publish order.delivered (fully delivered) as the orders service does."""
        order_id = order_id or str(uuid.uuid4())
        who = customer or company_customer()
        order = orders_pb2.Order(
            id=order_id,
            number=number,
            customer_id=who.id,
            status=orders_pb2.ORDER_STATUS_DELIVERED,
            lines=lines or [order_line("LED-1", 10, "12.35", list_price="13.00")],
            currency="RON",
        )
        await self.publish(
            orders_events.OrderDelivered(
                order_id=order_id,
                shipment_id=str(uuid.uuid4()),
                fully_delivered=True,
                delivery_date=delivery_date,
                order=order,
                customer=who,
                version=7,
            ),
            subject=order_id,
        )
        return order_id

    async def invoice_of(self, order_id: str) -> pb.Invoice:
        reply = await self.stub.ListInvoices(
            pb.ListInvoicesRequest(order_id=order_id, kind=pb.DOCUMENT_KIND_INVOICE)
        )
        assert len(reply.invoices) == 1, reply
        return reply.invoices[0]

    async def invoice_when(
        self,
        order_id: str,
        predicate: Callable[[pb.Invoice], bool],
        *,
        timeout: float = 20,
        what: str = "invoice state",
    ) -> pb.Invoice:
        """Waits for the order's invoice to satisfy ``predicate``.

        The consumer records the intent some time after the event is
        published, so "no invoice yet" is a state to wait through, not a failure.
        """

        async def probe() -> pb.Invoice | None:
            reply = await self.stub.ListInvoices(
                pb.ListInvoicesRequest(order_id=order_id, kind=pb.DOCUMENT_KIND_INVOICE)
            )
            assert len(reply.invoices) <= 1, reply
            return reply.invoices[0] if reply.invoices else None

        found = await eventually(
            probe, lambda inv: inv is not None and predicate(inv), timeout=timeout, what=what
        )
        assert found is not None
        return found

    async def issued_or_recorded(self, order_id: str, timeout: float = 20) -> None:
        """Waits until the order's invoice intent exists (whatever its status)."""

        async def probe() -> int:
            reply = await self.stub.ListInvoices(
                pb.ListInvoicesRequest(order_id=order_id, kind=pb.DOCUMENT_KIND_INVOICE)
            )
            return len(reply.invoices)

        await eventually(probe, lambda n: n > 0, timeout=timeout, what="invoice recorded")

    async def issued(self, order_id: str, timeout: float = 20) -> pb.Invoice:
        async def probe() -> pb.Invoice | None:
            reply = await self.stub.ListInvoices(
                pb.ListInvoicesRequest(order_id=order_id, kind=pb.DOCUMENT_KIND_INVOICE)
            )
            return reply.invoices[0] if reply.invoices else None

        found = await eventually(
            probe,
            lambda inv: inv is not None and inv.status == pb.DOCUMENT_STATUS_ISSUED,
            timeout=timeout,
            what=f"invoice of {order_id} ISSUED",
        )
        assert found is not None
        return found

    async def status(self) -> pb.GetIntegrationStatusResponse:
        return await self.stub.GetIntegrationStatus(pb.GetIntegrationStatusRequest())

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()


def money(amount: str) -> money_pb2.Money:
    return money_pb2.Money(amount=amount, currency="RON")


def order_line(
    sku: str, quantity: int, unit_net: str, *, list_price: str = "", name: str = ""
) -> orders_pb2.OrderLine:
    net = Decimal(unit_net) * quantity
    return orders_pb2.OrderLine(
        sku=sku,
        quantity=quantity,
        shipped_quantity=quantity,
        delivered_quantity=quantity,
        price=pricing_pb2.PricedLine(
            sku=sku,
            quantity=quantity,
            name=name or f"Panou LED {sku}",
            unit="buc",
            unit_net=money(unit_net),
            list_price=money(list_price) if list_price else None,
            line_net=money(f"{net:.2f}"),
            vat_rate="19",
            vat_category=pricing_pb2.VAT_CATEGORY_STANDARD,
            currency="RON",
            pricing_date="2025-07-01",
        ),
    )


def company_customer(**overrides: Any) -> orders_pb2.Customer:
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": "Ion Popescu",
        "email": "facturi@lumina.ro",
        "company": "Lumina Design SRL",
        "vat_code": "RO14399840",
        "reg_com": "J12/1234/2010",
        "address": address_pb2.Address(
            line1="Str. Memorandumului 28", city="Cluj-Napoca", county="Cluj", country="RO"
        ),
    }
    fields.update(overrides)
    return orders_pb2.Customer(**fields)


@asynccontextmanager
async def running(
    database_factory: DatabaseFactory,
    scope: BrokerScope,
    fakes: Fakes,
    **overrides: Any,
) -> AsyncIterator[Harness]:
    common: dict[str, Any] = {
        "amqp_url": scope.amqp_url,
        "events_exchange": scope.exchange,
        "queue_prefix": scope.queue_prefix,
        "bind_host": "127.0.0.1",
        "health_check_seconds": 0.2,
        "outbox_poll_seconds": 0.1,
        "consumer_retry_delay_ms": 200,
        "db_pool_size": 3,
        "db_max_overflow": 2,
    }
    pricing_url = await database_factory("pricing", PRICING_MIGRATIONS)
    integration_url = await database_factory("integration", MIGRATIONS)
    pricing_port = free_port()
    pricing = assemble_pricing(
        PricingSettings(
            database_url=pricing_url, grpc_port=pricing_port, http_port=free_port(), **common
        ),
        queue_prefix=scope.queue_prefix,
    )
    proxy = TcpProxy("127.0.0.1", fakes.ports["smartbill"])
    await proxy.start()
    settings = IntegrationSettings(
        database_url=integration_url,
        grpc_port=free_port(),
        http_port=free_port(),
        pricing_addr=f"127.0.0.1:{pricing_port}",
        orders_addr=f"127.0.0.1:{free_port()}",  # unused: the events carry the order
        smartbill_base_url=f"http://127.0.0.1:{proxy.port}/SBORO/api/",
        smartbill_email=fakes.smartbill_email,
        smartbill_token=fakes.smartbill_token,
        smartbill_cif=fakes.smartbill_cif,
        **{**common, **TEST_SETTINGS, **overrides},
    )
    app = assemble(settings, queue_prefix=scope.queue_prefix)
    tap = EventTap()
    async with AsyncExitStack() as stack:
        stack.push_async_callback(proxy.stop)
        publisher = await aio_pika.connect_robust(scope.amqp_url)
        stack.push_async_callback(publisher.close)
        channel = await publisher.channel()
        exchange = await channel.declare_exchange(
            scope.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        tap_queue = await channel.declare_queue(f"{scope.queue_prefix}tap", exclusive=True)
        await tap_queue.bind(exchange, routing_key="integration.#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            event = decode(message)
            tap.received.append((event.type, event.message))
            await message.ack()

        await tap_queue.consume(on_message)
        for runtime in (pricing.runtime, app.runtime):
            await runtime.start()
            stack.push_async_callback(runtime.stop)
        assert app.runtime.grpc is not None
        grpc_channel = make_channel(f"127.0.0.1:{app.runtime.grpc.port}")
        stack.push_async_callback(grpc_channel.close)
        control = httpx.AsyncClient(base_url=fakes.smartbill_url, timeout=10)
        stack.push_async_callback(control.aclose)
        # The consumer's queue must exist before the first event is published.
        await eventually(
            lambda: _consuming(app),
            timeout=20,
            what="integration consumer started",
        )
        yield Harness(
            app=app,
            stub=integration_pb2_grpc.IntegrationServiceStub(grpc_channel),  # type: ignore[arg-type]
            fakes=fakes,
            proxy=proxy,
            control=control,
            scope=scope,
            tap=tap,
            publisher=publisher,
            database_url=integration_url,
        )
        await channel.close()
    queues = [c.queue_name for rt in (pricing.runtime, app.runtime) for c in rt.consumers]
    with suppress(Exception):
        await delete_scope(scope, queues)


async def _consuming(app: IntegrationApp) -> bool:
    return all(getattr(c, "_tag", None) is not None for c in app.runtime.consumers)
