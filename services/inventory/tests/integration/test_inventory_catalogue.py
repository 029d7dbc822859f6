"""Stock only for products the catalogue knows: inventory learns the catalogue from
pricing's `product.upserted` events on the real broker (versioned: a late older one is
skipped) and refuses receipts, adjustments, transfers and thresholds for any other sku
with 409 PRODUCT_UNKNOWN_YET, writing nothing. A supplier delivery naming an unknown
sku is retried (the product event may be in flight), then parked; never booked."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import grpc
from prometheus_client import REGISTRY

from cypher.inventory.v1 import inventory_pb2 as pb
from cypher.pricing.v1 import events_pb2 as pricing_events
from cypher.suppliers.v1 import events_pb2 as supplier_events
from cypher.suppliers.v1 import suppliers_pb2
from cypher_runtime.messaging.envelope import event_type_of
from cypher_runtime.migrations import migrate
from cypher_testkit.broker import BrokerScope
from cypher_testkit.polling import eventually
from inventory.main import MIGRATIONS
from services.inventory.tests.integration.inventory_harness import (
    DatabaseFactory,
    Running,
    running_service,
)
from services.inventory.tests.integration.test_inventory_grpc import failure


def new_sku() -> str:
    return f"CAT-{uuid.uuid4().hex[:8]}"


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": "inventory", **labels}) or 0.0


async def traces_of(service: Running, sku: str) -> dict[str, int]:
    counts = {}
    for table in ("skus", "stock", "movements"):
        rows = await service.sql(f"SELECT COUNT(*) AS n FROM {table} WHERE sku = $1", sku)
        counts[table] = int(rows[0]["n"])
    return counts


async def test_stock_for_a_sku_the_catalogue_never_announced_is_refused(service: Running) -> None:
    ghost = new_sku()
    calls = [
        service.stub.Receive(pb.ReceiveRequest(sku=ghost, warehouse="A", quantity=5)),
        service.stub.Adjust(pb.AdjustRequest(sku=ghost, warehouse="A", delta=5, reason="count")),
        service.stub.Transfer(
            pb.TransferRequest(sku=ghost, from_warehouse="A", to_warehouse="B", quantity=1)
        ),
        service.stub.SetLowStockThreshold(
            pb.SetLowStockThresholdRequest(sku=ghost, warehouse="A", threshold=4)
        ),
    ]
    for call in calls:
        err = await failure(call)
        assert (err.status, err.code) == (
            grpc.StatusCode.FAILED_PRECONDITION,
            "PRODUCT_UNKNOWN_YET",
        )
        assert err.details["skus"] == [ghost]
    assert await traces_of(service, ghost) == {"skus": 0, "stock": 0, "movements": 0}
    assert (await service.availability(ghost)).total_on_hand == 0


async def test_a_published_product_upserted_makes_its_sku_stockable(service: Running) -> None:
    sku = new_sku()
    refused = await failure(
        service.stub.Receive(pb.ReceiveRequest(sku=sku, warehouse="A", quantity=3))
    )
    assert refused.code == "PRODUCT_UNKNOWN_YET"

    await service.catalogue(sku, version=3)

    booked = await service.stub.Receive(pb.ReceiveRequest(sku=sku, warehouse="A", quantity=3))
    assert booked.stock.on_hand == 3
    moved = await service.stub.Transfer(
        pb.TransferRequest(sku=sku, from_warehouse="A", to_warehouse="C", quantity=1)
    )
    assert moved.to_stock.on_hand == 1


async def test_a_late_older_product_event_is_skipped(service: Running) -> None:
    sku = new_sku()
    await service.catalogue(sku, version=5)
    queue = service.runtime.consumers[1].queue_name
    upserted = event_type_of(pricing_events.ProductUpserted)
    stale_before = metric(
        "cypher_events_consumed_total", queue=queue, event_type=upserted, outcome="stale"
    )

    await service.publish_product(sku, version=4)

    async def stale() -> float:
        return (
            metric(
                "cypher_events_consumed_total", queue=queue, event_type=upserted, outcome="stale"
            )
            - stale_before
        )

    await eventually(stale, lambda n: n >= 1, what="the older product event skipped")
    rows = await service.sql("SELECT version FROM known_products WHERE sku = $1", sku)
    assert [r["version"] for r in rows] == [5]


def delivery(supplier_order: str, *lines: tuple[str, int]) -> supplier_events.SupplierOrderReceived:
    return supplier_events.SupplierOrderReceived(
        supplier_order_id=supplier_order,
        lines=[suppliers_pb2.ReceivedLine(sku=s, quantity=q, warehouse="A") for s, q in lines],
    )


async def test_a_supplier_delivery_naming_an_unknown_sku_is_parked_and_books_nothing(
    service: Running,
) -> None:
    known, unknown = new_sku(), new_sku()
    await service.catalogue(known)
    queue = service.runtime.consumers[0].queue_name
    parked_before = metric("cypher_events_dead_lettered_total", queue=queue)

    await service.publish(delivery("PO-GHOST", (known, 2), (unknown, 3)))

    async def parked() -> float:
        return metric("cypher_events_dead_lettered_total", queue=queue) - parked_before

    await eventually(parked, lambda n: n >= 1, what="the delivery parked")
    assert await traces_of(service, known) == {"skus": 0, "stock": 0, "movements": 0}
    assert await traces_of(service, unknown) == {"skus": 0, "stock": 0, "movements": 0}


async def test_a_supplier_delivery_waits_for_a_product_event_still_in_flight(
    database_factory: DatabaseFactory, broker_scope: BrokerScope
) -> None:
    async with running_service(
        database_factory, broker_scope, consumer_retry_delay_ms=500, consumer_max_retries=20
    ) as service:
        sku = new_sku()
        queue = service.runtime.consumers[0].queue_name
        received = event_type_of(supplier_events.SupplierOrderReceived)

        def retried() -> float:
            return metric(
                "cypher_events_consumed_total", queue=queue, event_type=received, outcome="retried"
            )

        before = retried()
        await service.publish(delivery("PO-LATE", (sku, 4)))

        async def failed_once() -> float:
            return retried() - before

        await eventually(failed_once, lambda n: n >= 1, what="the delivery refused once")
        await service.catalogue(sku)

        async def on_hand() -> int:
            return int((await service.availability(sku)).total_on_hand)

        assert await eventually(on_hand, lambda n: n == 4, what="the delivery booked") == 4


async def test_the_catalogue_consumer_is_a_queue_of_its_own(service: Running) -> None:
    names = [c.queue_name for c in service.runtime.consumers]
    assert names == [
        f"{service.scope.queue_prefix}inventory.order-events",
        f"{service.scope.queue_prefix}inventory.catalogue",
    ]


async def test_migrations_carry_over_the_skus_already_stocked(
    database_factory: DatabaseFactory,
) -> None:
    """Stock that existed before inventory learned the catalogue stays stockable."""
    url = await database_factory("inventory", None)
    await asyncio.to_thread(migrate, MIGRATIONS, url, "0003")
    libpq = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(libpq)
    try:
        await conn.execute("INSERT INTO skus (sku) VALUES ('OLD-1')")
        await asyncio.to_thread(migrate, MIGRATIONS, url, "head")
        rows = await conn.fetch("SELECT sku, version FROM known_products")
    finally:
        await conn.close()
    assert [(r["sku"], r["version"]) for r in rows] == [("OLD-1", 0)]
