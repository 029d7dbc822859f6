"""Test harness: the suppliers service in-process on a fresh PostgreSQL database and a
private exchange of the real RabbitMQ, reached over real gRPC, scraping the fake supplier
sites (the fakes process) over real HTTP; an event tap collecting what it publishes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aio_pika
import asyncpg
import httpx
from google.protobuf.message import Message

from cypher.common.v1.pagination_pb2 import PageRequest
from cypher.suppliers.v1 import suppliers_pb2 as pb
from cypher.suppliers.v1 import suppliers_pb2_grpc
from cypher_runtime.clock import FixedClock
from cypher_runtime.grpc_client import make_channel
from cypher_runtime.messaging.envelope import event_registry, event_type_of
from cypher_testkit.broker import BrokerScope
from cypher_testkit.events import publish_event
from cypher_testkit.fakes import Fakes
from cypher_testkit.infra import amqp_url
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import free_port
from suppliers.feeds.fetch import FetchLimits
from suppliers.main import MIGRATIONS, SuppliersApp, assemble
from suppliers.scrape import ScrapeLimits
from suppliers.settings import SuppliersSettings

M = TypeVar("M", bound=Message)
BROKER_TIMEOUT = 30.0
DatabaseFactory = Callable[[str, Path | None], Awaitable[str]]
FORMATS = {"HTML": pb.FEED_FORMAT_HTML, "CSV": pb.FEED_FORMAT_CSV, "JSON": pb.FEED_FORMAT_JSON}
# Short backoff and deadlines: the fault tests wait for retries, not for production pauses.
TEST_LIMITS = ScrapeLimits(
    fetch=FetchLimits(timeout_seconds=2.0, retries=3, backoff_seconds=0.05, max_bytes=2_000_000),
    max_pages=20,
    run_deadline_seconds=30.0,
    apply_batch_size=200,
)


# The five suppliers as `make dev` configures them (one file, shared with the demo data).
DEMO_SUPPLIERS = Path(__file__).resolve().parents[4] / "scripts" / "demo_suppliers.json"


def create_request(name: str, base_url: str) -> pb.CreateSupplierRequest:
    """The demo configuration of one of the five suppliers, against the fake sites."""
    demo = next(s for s in json.loads(DEMO_SUPPLIERS.read_text()) if s["name"] == name)
    return pb.CreateSupplierRequest(
        name=name,
        feed_format=FORMATS[demo["feed_format"]],
        feed_url=base_url.rstrip("/") + demo["path"],
        feed_config=demo["feed_config"],
        active=True,
        currency=demo["currency"],
    )


@dataclass
class EventTap:
    received: list[tuple[str, Message]] = field(default_factory=list)

    def of(self, message_cls: type[M]) -> list[M]:
        wanted = event_type_of(message_cls)
        return [m for t, m in self.received if t == wanted and isinstance(m, message_cls)]


@dataclass
class Running:
    app: SuppliersApp
    clock: FixedClock
    settings: SuppliersSettings
    scope: BrokerScope
    fakes: Fakes
    stub: suppliers_pb2_grpc.SuppliersServiceAsyncStub
    tap: EventTap
    publisher: aio_pika.abc.AbstractRobustConnection

    @property
    def libpq_url(self) -> str:
        return self.settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.libpq_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def site(self, method: str, path: str, body: Any = None) -> Any:
        """The fake supplier sites' control API."""
        async with httpx.AsyncClient(base_url=self.fakes.suppliers_url, timeout=30) as c:
            reply = await c.request(method, path, json=body)
            reply.raise_for_status()
            return reply.json()

    async def add_supplier(self, name: str) -> pb.Supplier:
        reply = await self.stub.CreateSupplier(create_request(name, self.fakes.suppliers_url))
        return reply.supplier

    async def sync(self, supplier_id: str) -> pb.SyncRun:
        """Trigger a scrape and wait until it finished."""
        started = await self.stub.TriggerSync(pb.TriggerSyncRequest(supplier_id=supplier_id))
        return await self.finished(supplier_id, started.run.id)

    async def finished(self, supplier_id: str, run_id: str) -> pb.SyncRun:
        async def probe() -> pb.SyncRun | None:
            runs = await self.stub.ListSyncRuns(pb.ListSyncRunsRequest(supplier_id=supplier_id))
            return next((r for r in runs.runs if r.id == run_id), None)

        run = await eventually(
            probe,
            lambda r: r is not None and r.status != pb.SYNC_RUN_STATUS_RUNNING,
            what=f"sync run {run_id} finished",
            timeout=60,
        )
        assert run is not None
        return run

    async def products(self, supplier_id: str, **kw: Any) -> list[pb.SupplierProduct]:
        found: list[pb.SupplierProduct] = []
        cursor = ""
        while True:
            reply = await self.stub.ListSupplierProducts(
                pb.ListSupplierProductsRequest(
                    supplier_id=supplier_id,
                    page=PageRequest(limit=200, cursor=cursor),
                    **kw,
                )
            )
            found.extend(reply.supplier_products)
            cursor = reply.page.next_cursor
            if not cursor:
                return found

    async def events(
        self, message_cls: type[M], where: Callable[[M], bool], *, count: int = 1
    ) -> list[M]:
        async def probe() -> list[M]:
            return [m for m in self.tap.of(message_cls) if where(m)]

        return await eventually(
            probe, lambda found: len(found) >= count, what=f"{count} {message_cls.__name__}"
        )

    async def publish(self, message: Message, *, subject: str) -> str:
        channel = await self.publisher.channel()
        try:
            exchange = await channel.get_exchange(self.scope.exchange)
            return await publish_event(
                exchange,
                message,
                subject=subject,
                aggregate_type="order",
                version=int(getattr(message, "version", 0) or 0) or None,
            )
        finally:
            await channel.close()


async def _start_tap(
    connection: aio_pika.abc.AbstractRobustConnection, scope: BrokerScope, tap: EventTap
) -> None:
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        scope.exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(f"{scope.queue_prefix}tap", exclusive=True)
    await queue.bind(exchange, routing_key="suppliers.#")

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            event_type = message.routing_key or ""
            body = event_registry()[event_type]()
            body.ParseFromString(message.body)
            tap.received.append((event_type, body))

    await queue.consume(on_message)


def settings_for(url: str, scope: BrokerScope, **overrides: Any) -> SuppliersSettings:
    values: dict[str, Any] = {
        "database_url": url,
        "grpc_port": free_port(),
        "http_port": free_port(),
        "bind_host": "127.0.0.1",
        "amqp_url": amqp_url(),
        "events_exchange": scope.exchange,
        "db_pool_size": 4,
        "db_max_overflow": 4,
        "outbox_poll_seconds": 0.2,
        "consumer_retry_delay_ms": 200,
        "consumer_max_retries": 1,
        "scheduler_tick_seconds": 3600,
    }
    values.update(overrides)
    return SuppliersSettings(**values)


@asynccontextmanager
async def started(
    settings: SuppliersSettings,
    scope: BrokerScope,
    clock: FixedClock,
    *,
    run_scheduler: bool = False,
    limits: ScrapeLimits = TEST_LIMITS,
) -> AsyncIterator[SuppliersApp]:
    """One replica of the service, stopped afterwards."""
    app = assemble(
        settings,
        clock=clock,
        queue_prefix=scope.queue_prefix,
        limits=limits,
        run_scheduler=run_scheduler,
    )
    await app.runtime.start()
    try:
        yield app
    finally:
        await app.scraper.wait_idle()
        await app.runtime.stop()


@asynccontextmanager
async def running_service(
    database_factory: DatabaseFactory,
    broker_scope: BrokerScope,
    fakes: Fakes,
    **overrides: Any,
) -> AsyncIterator[Running]:
    url = await database_factory("suppliers", MIGRATIONS)
    settings = settings_for(url, broker_scope, **overrides)
    clock = FixedClock(datetime(2026, 12, 3, 9, 30, tzinfo=UTC))
    publisher = await asyncio.wait_for(aio_pika.connect_robust(amqp_url()), BROKER_TIMEOUT)
    tap = EventTap()
    async with AsyncExitStack() as stack:
        stack.push_async_callback(publisher.close)
        app = await stack.enter_async_context(started(settings, broker_scope, clock))
        await asyncio.wait_for(_start_tap(publisher, broker_scope, tap), BROKER_TIMEOUT)
        channel = make_channel(f"127.0.0.1:{settings.grpc_port}")
        stack.push_async_callback(channel.close)
        consumer = app.runtime.consumers[0]
        await eventually(lambda: asyncio.sleep(0, consumer._tag), what="consumer started")
        yield Running(
            app=app,
            clock=clock,
            settings=settings,
            scope=broker_scope,
            fakes=fakes,
            stub=suppliers_pb2_grpc.SuppliersServiceStub(channel),  # type: ignore[arg-type]
            tap=tap,
            publisher=publisher,
        )
