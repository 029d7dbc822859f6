"""Mail harness: the integration service and the orders service (customers' addresses)
in-process on fresh PostgreSQL databases and a private exchange of the real RabbitMQ,
real gRPC on loopback, and the SMTP sink of the `cypher-fakes` process reached over real
SMTP — through a TCP proxy the test can cut to take the mail server away. Input events
are published as the other services' outbox relays publish them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest_asyncio
from google.protobuf.message import Message

from cypher.orders.v1 import orders_pb2, orders_pb2_grpc
from cypher_runtime.grpc_client import make_channel
from cypher_testkit.broker import BrokerScope, delete_scope
from cypher_testkit.events import publish_event
from cypher_testkit.fakes import Fakes
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import TcpProxy, free_port
from integration.main import MIGRATIONS, IntegrationApp, assemble
from integration.settings import IntegrationSettings
from orders.main import MIGRATIONS as ORDERS_MIGRATIONS
from orders.main import assemble as assemble_orders
from orders.settings import OrdersSettings

DatabaseFactory = Callable[[str, Path | None], Awaitable[str]]

MAIL_TEST_SETTINGS: dict[str, Any] = {
    "smtp_timeout_seconds": 2.0,
    "smtp_breaker_failures": 2,
    "smtp_breaker_reset_seconds": 1.0,
    "mail_retry_seconds": 0.3,
    "mail_retry_max_seconds": 1.0,
    "mail_idle_seconds": 0.2,
    "mail_warehouse_address": "depozit@lumina.test",
    "mail_purchasing_address": "achizitii@lumina.test",
}


@dataclass
class MailHarness:
    app: IntegrationApp
    orders: orders_pb2_grpc.OrdersServiceAsyncStub
    fakes: Fakes
    proxy: TcpProxy
    control: httpx.AsyncClient
    scope: BrokerScope
    publisher: aio_pika.abc.AbstractRobustConnection
    database_url: str

    async def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        reply = await self.control.get("/_fake/messages", params={"to": to} if to else None)
        reply.raise_for_status()
        return list(reply.json())

    async def message(self, message_id: int) -> dict[str, Any]:
        reply = await self.control.get(f"/_fake/messages/{message_id}")
        reply.raise_for_status()
        return dict(reply.json())

    async def attachment(self, message_id: int, n: int = 0) -> httpx.Response:
        reply = await self.control.get(f"/_fake/messages/{message_id}/attachments/{n}")
        reply.raise_for_status()
        return reply

    async def received(self, to: str, count: int = 1, timeout: float = 20) -> list[dict[str, Any]]:
        return await eventually(
            lambda: self.messages(to),
            lambda found: len(found) >= count,
            timeout=timeout,
            what=f"{count} mail(s) to {to}",
        )

    async def customer(self, email: str, name: str = "Ion Popescu") -> str:
        reply = await self.orders.CreateCustomer(
            orders_pb2.CreateCustomerRequest(name=name, email=email, phone="0740000000")
        )
        return str(reply.customer.id)

    async def publish(self, message: Message, *, subject: str = "x", event_id: str = "") -> str:
        channel = await self.publisher.channel()
        try:
            exchange = await channel.get_exchange(self.scope.exchange)
            return await publish_event(
                exchange, message, subject=subject, event_id=event_id or str(uuid.uuid4())
            )
        finally:
            await channel.close()

    async def log(self) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            return list(
                await conn.fetch(
                    "SELECT template, to_address, event_id, status, attempts, last_error"
                    " FROM mail_log ORDER BY created_at"
                )
            )
        finally:
            await conn.close()


@asynccontextmanager
async def running(
    database_factory: DatabaseFactory, scope: BrokerScope, fakes: Fakes, **overrides: Any
) -> AsyncIterator[MailHarness]:
    common: dict[str, Any] = {
        "amqp_url": scope.amqp_url,
        "events_exchange": scope.exchange,
        "queue_prefix": scope.queue_prefix,
        "bind_host": "127.0.0.1",
        "health_check_seconds": 0.2,
        "outbox_poll_seconds": 0.1,
        "consumer_retry_delay_ms": 200,
        "db_pool_size": 4,
        "db_max_overflow": 2,
    }
    orders_url = await database_factory("orders", ORDERS_MIGRATIONS)
    integration_url = await database_factory("integration", MIGRATIONS)
    orders_port = free_port()
    orders = assemble_orders(
        OrdersSettings(
            database_url=orders_url,
            grpc_port=orders_port,
            http_port=free_port(),
            pricing_addr=f"127.0.0.1:{free_port()}",
            inventory_addr=f"127.0.0.1:{free_port()}",
            **common,
        ),
        queue_prefix=scope.queue_prefix,
        run_recoverer=False,
    )
    proxy = TcpProxy("127.0.0.1", fakes.smtp_port)
    await proxy.start()
    settings = IntegrationSettings(
        database_url=integration_url,
        grpc_port=free_port(),
        http_port=free_port(),
        orders_addr=f"127.0.0.1:{orders_port}",
        pricing_addr=f"127.0.0.1:{free_port()}",
        inventory_addr=f"127.0.0.1:{free_port()}",
        smtp_host="127.0.0.1",
        smtp_port=proxy.port,
        **{**common, **MAIL_TEST_SETTINGS, **overrides},
    )
    app = assemble(settings, queue_prefix=scope.queue_prefix)
    runtimes = [orders.runtime, app.runtime]
    async with AsyncExitStack() as stack:
        stack.push_async_callback(proxy.stop)
        publisher = await aio_pika.connect_robust(scope.amqp_url)
        stack.push_async_callback(publisher.close)
        for runtime in runtimes:
            await runtime.start()
            stack.push_async_callback(runtime.stop)
        assert orders.runtime.grpc is not None
        channel = make_channel(f"127.0.0.1:{orders.runtime.grpc.port}")
        stack.push_async_callback(channel.close)
        control = httpx.AsyncClient(base_url=fakes.mail_url, timeout=10)
        stack.push_async_callback(control.aclose)
        await eventually(lambda: _consuming(runtimes), timeout=20, what="consumers started")
        yield MailHarness(
            app=app,
            orders=orders_pb2_grpc.OrdersServiceStub(channel),  # type: ignore[arg-type]
            fakes=fakes,
            proxy=proxy,
            control=control,
            scope=scope,
            publisher=publisher,
            database_url=integration_url,
        )
    queues = [c.queue_name for rt in runtimes for c in rt.consumers]
    with suppress(Exception):
        await delete_scope(scope, queues)


async def _consuming(runtimes: list[Any]) -> bool:
    return all(getattr(c, "_tag", None) is not None for rt in runtimes for c in rt.consumers)


@pytest_asyncio.fixture(loop_scope="session")
async def mail(
    database_factory: DatabaseFactory, broker_scope: BrokerScope, fakes: Fakes
) -> AsyncIterator[MailHarness]:
    async with running(database_factory, broker_scope, fakes) as harness:
        yield harness
