"""Shop-sync harness: pricing, inventory and the integration service running in-process
on fresh PostgreSQL databases and a private exchange of the real RabbitMQ, real gRPC
on loopback, and the fake WooCommerce of the `cypher-fakes` process reached over real
HTTP — through a TCP proxy the test can cut to take the shop away."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest_asyncio
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from cypher.common.v1 import money_pb2
from cypher.integration.v1 import integration_pb2 as pb
from cypher.integration.v1 import integration_pb2_grpc
from cypher.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_runtime.grpc_client import make_channel
from cypher_testkit.broker import BrokerScope, delete_scope
from cypher_testkit.catalogue import when_known
from cypher_testkit.events import publish_event
from cypher_testkit.fakes import Fakes
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import TcpProxy, free_port
from integration.main import MIGRATIONS, IntegrationApp, assemble
from integration.settings import IntegrationSettings
from inventory.main import MIGRATIONS as INVENTORY_MIGRATIONS
from inventory.main import assemble as assemble_inventory
from inventory.settings import InventorySettings
from pricing.main import MIGRATIONS as PRICING_MIGRATIONS
from pricing.main import assemble as assemble_pricing
from pricing.settings import PricingSettings

DatabaseFactory = Callable[[str, Path | None], Awaitable[str]]

SHOP_TEST_SETTINGS: dict[str, Any] = {
    "woo_timeout_seconds": 2.0,
    "woo_connect_timeout_seconds": 0.5,
    "woo_attempts": 2,
    "woo_breaker_failures": 2,
    "woo_breaker_reset_seconds": 1.0,
    "woo_coalesce_seconds": 1.0,
    "woo_coalesce_max_seconds": 20.0,
    "woo_flush_tick_seconds": 0.2,
    "woo_calls_per_second": 200,
}


@dataclass
class ShopHarness:
    app: IntegrationApp
    stub: integration_pb2_grpc.IntegrationServiceAsyncStub
    pricing: pricing_pb2_grpc.PricingServiceAsyncStub
    inventory: inventory_pb2_grpc.InventoryServiceAsyncStub
    fakes: Fakes
    proxy: TcpProxy
    control: httpx.AsyncClient
    scope: BrokerScope
    publisher: aio_pika.abc.AbstractRobustConnection
    database_url: str

    # -- the fake shop ---------------------------------------------------------------------
    async def shop_products(self) -> dict[str, dict[str, Any]]:
        reply = await self.control.get("/_fake/products")
        reply.raise_for_status()
        return dict(reply.json())

    async def shop_requests(self) -> list[dict[str, Any]]:
        reply = await self.control.get("/_fake/requests")
        reply.raise_for_status()
        return list(reply.json())

    async def batch_calls(self) -> list[dict[str, Any]]:
        return [
            r
            for r in await self.shop_requests()
            if r["method"] == "POST" and r["path"].endswith("/products/batch")
        ]

    async def fault(self, mode: str, count: int = 1, **where: str) -> None:
        reply = await self.control.post(
            "/_fake/faults", json={"mode": mode, "count": count, **where}
        )
        reply.raise_for_status()

    async def seed_shop(self, products: list[dict[str, Any]]) -> list[dict[str, Any]]:
        reply = await self.control.post("/_fake/products", json=products)
        reply.raise_for_status()
        return list(reply.json())

    async def shop_shows(
        self, sku: str, check: Callable[[dict[str, Any]], bool], *, timeout: float = 20
    ) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            return (await self.shop_products()).get(sku)

        found = await eventually(
            probe, lambda p: p is not None and check(p), timeout=timeout, what=f"shop {sku}"
        )
        assert found is not None
        return found

    # -- CYPHER ---------------------------------------------------------------------------
    async def product(
        self,
        sku: str,
        cost: str,
        *,
        margin: str = "30",
        stock: int = 0,
        name: str = "",
        category: str = "panouri",
    ) -> None:
        await self.pricing.CreateProduct(
            pricing_pb2.CreateProductRequest(
                sku=sku,
                name=name or f"Panou LED {sku}",
                category=category,
                unit="buc",
                cost=money_pb2.Money(amount=cost, currency="RON"),
                margin_pct=margin,
            )
        )
        if stock:
            await self.receive(sku, stock)

    async def promotion(
        self, *, pct: str, starts: datetime, days: int, sku: str = "", category: str = ""
    ) -> None:
        start_pb, end_pb = Timestamp(), Timestamp()
        start_pb.FromDatetime(starts)
        end_pb.FromDatetime(starts + timedelta(days=days))
        await self.pricing.CreatePromotion(
            pricing_pb2.CreatePromotionRequest(
                name="Promoție",
                sku=sku,
                category=category,
                discount_pct=pct,
                starts_at=start_pb,
                ends_at=end_pb,
            )
        )

    async def receive(self, sku: str, quantity: int, warehouse: str = "A") -> None:
        # Inventory stocks only products it learned from pricing's product.upserted.
        await when_known(
            lambda: self.inventory.Receive(
                inventory_pb2.ReceiveRequest(
                    sku=sku, warehouse=warehouse, quantity=quantity, reference="NIR-1"
                )
            )
        )

    async def adjust(self, sku: str, delta: int, warehouse: str = "A") -> None:
        await self.inventory.Adjust(
            inventory_pb2.AdjustRequest(sku=sku, warehouse=warehouse, delta=delta, reason="test")
        )

    async def cost(self, sku: str, cost: str) -> None:
        await self.pricing.UpdateCost(
            pricing_pb2.UpdateCostRequest(
                sku=sku, cost=money_pb2.Money(amount=cost, currency="RON"), reason="test"
            )
        )

    async def publish(self, message: Message, *, subject: str = "x") -> str:
        channel = await self.publisher.channel()
        try:
            exchange = await channel.get_exchange(self.scope.exchange)
            return await publish_event(exchange, message, subject=subject)
        finally:
            await channel.close()

    async def status(self) -> pb.GetWooSyncStatusResponse:
        return await self.stub.GetWooSyncStatus(pb.GetWooSyncStatusRequest())

    async def trigger(self, mode: pb.WooSyncMode.ValueType) -> pb.WooSyncRun:
        reply = await self.stub.TriggerWooSync(pb.TriggerWooSyncRequest(mode=mode))
        return reply.run

    async def run_finished(self, run_id: str, *, timeout: float = 60) -> pb.WooSyncRun:
        async def probe() -> pb.WooSyncRun | None:
            s = await self.status()
            for run in (s.last_full_run, s.last_retry_run, s.last_incremental_run):
                if run.id == run_id:
                    return run
            return None

        found = await eventually(probe, lambda r: r is not None, timeout=timeout, what="run end")
        assert found is not None
        return found

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()


def gross(net: Decimal) -> str:
    """Net list price → the gross the shop shows (21 % VAT today)."""
    return f"{(net * Decimal('1.21')).quantize(Decimal('0.01')):.2f}"


@asynccontextmanager
async def running(
    database_factory: DatabaseFactory, scope: BrokerScope, fakes: Fakes, **overrides: Any
) -> AsyncIterator[ShopHarness]:
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
    # One after the other: Alembic keeps global state, so parallel migrations collide.
    pricing_url = await database_factory("pricing", PRICING_MIGRATIONS)
    inventory_url = await database_factory("inventory", INVENTORY_MIGRATIONS)
    integration_url = await database_factory("integration", MIGRATIONS)
    pricing_port, inventory_port = free_port(), free_port()
    pricing = assemble_pricing(
        PricingSettings(
            database_url=pricing_url, grpc_port=pricing_port, http_port=free_port(), **common
        ),
        queue_prefix=scope.queue_prefix,
    )
    inventory_app = assemble_inventory(
        InventorySettings(
            database_url=inventory_url, grpc_port=inventory_port, http_port=free_port(), **common
        ),
        queue_prefix=scope.queue_prefix,
    )
    proxy = TcpProxy("127.0.0.1", fakes.ports["woo"])
    await proxy.start()
    settings = IntegrationSettings(
        database_url=integration_url,
        grpc_port=free_port(),
        http_port=free_port(),
        pricing_addr=f"127.0.0.1:{pricing_port}",
        inventory_addr=f"127.0.0.1:{inventory_port}",
        orders_addr=f"127.0.0.1:{free_port()}",
        woo_base_url=f"http://127.0.0.1:{proxy.port}",
        woo_consumer_key=fakes.woo_consumer_key,
        woo_consumer_secret=fakes.woo_consumer_secret,
        **{**common, **SHOP_TEST_SETTINGS, **overrides},
    )
    app = assemble(settings, queue_prefix=scope.queue_prefix)
    runtimes = [pricing.runtime, inventory_app.runtime, app.runtime]
    async with AsyncExitStack() as stack:
        stack.push_async_callback(proxy.stop)
        publisher = await aio_pika.connect_robust(scope.amqp_url)
        stack.push_async_callback(publisher.close)
        for runtime in runtimes:
            await runtime.start()
            stack.push_async_callback(runtime.stop)
        channels = []
        for runtime in runtimes:
            assert runtime.grpc is not None
            channel = make_channel(f"127.0.0.1:{runtime.grpc.port}")
            stack.push_async_callback(channel.close)
            channels.append(channel)
        control = httpx.AsyncClient(base_url=fakes.woo_url, timeout=10)
        stack.push_async_callback(control.aclose)
        await eventually(lambda: _consuming(runtimes), timeout=20, what="consumers started")
        yield ShopHarness(
            app=app,
            stub=integration_pb2_grpc.IntegrationServiceStub(channels[2]),  # type: ignore[arg-type]
            pricing=pricing_pb2_grpc.PricingServiceStub(channels[0]),  # type: ignore[arg-type]
            inventory=inventory_pb2_grpc.InventoryServiceStub(channels[1]),  # type: ignore[arg-type]
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
async def shop(
    database_factory: DatabaseFactory, broker_scope: BrokerScope, fakes: Fakes
) -> AsyncIterator[ShopHarness]:
    async with running(database_factory, broker_scope, fakes) as harness:
        yield harness
