"""Handlers of the events inventory consumes, subscribed with typed `on(...)`. Each runs
in the inbox consumer's unit of work (the inbox row and the effect commit together), so
a redelivered event has no second effect; handlers never commit."""

from __future__ import annotations

import logging

from cypher.orders.v1 import events_pb2 as orders_events
from cypher.pricing.v1 import events_pb2 as pricing_events
from cypher.suppliers.v1 import events_pb2 as supplier_events
from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.consumer import Subscription, on
from cypher_runtime.messaging.envelope import ReceivedEvent
from inventory import wire
from inventory.domain.reservation import ReleaseReason
from inventory.service import InventoryService

log = logging.getLogger(__name__)


class OrderEventHandlers:
    """Orders and purchasing events: they move reservations and stock."""

    def __init__(self, service: InventoryService) -> None:
        self.service = service

    async def order_confirmed(
        self, uow: UnitOfWork, msg: orders_events.OrderConfirmed, _: ReceivedEvent
    ) -> None:
        await self.service.reservations.confirm(uow, msg.order_id)

    async def order_cancelled(
        self, uow: UnitOfWork, msg: orders_events.OrderCancelled, _: ReceivedEvent
    ) -> None:
        result = await self.service.reservations.release(
            uow, msg.order_id, ReleaseReason.ORDER_CANCELLED, msg.reason
        )
        log.info("order cancelled", extra={"order_id": msg.order_id, "released": result.released})

    async def order_shipped(
        self, uow: UnitOfWork, msg: orders_events.OrderShipped, _: ReceivedEvent
    ) -> None:
        await self.service.reservations.commit(
            uow, order_id=msg.order_id, shipment_id=msg.shipment_id, lines=wire.lines(msg.lines)
        )

    async def order_returned(
        self, uow: UnitOfWork, msg: orders_events.OrderReturned, _: ReceivedEvent
    ) -> None:
        await self.service.reservations.restock_return(
            uow,
            order_id=msg.order_id,
            return_id=msg.return_id,
            lines=wire.lines(msg.lines),
            reason=msg.reason,
        )

    async def supplier_order_received(
        self, uow: UnitOfWork, msg: supplier_events.SupplierOrderReceived, _: ReceivedEvent
    ) -> None:
        # A line without a warehouse goes to the first-priority one (HQ). A line naming a
        # sku the catalogue has not announced fails the whole delivery (one goods receipt
        # is booked whole): the consumer retries it — the product event may still be in
        # flight — then parks it for a person to look at (services/inventory/README.md).
        first = (await self.service.warehouses(uow))[0].code
        await self.service.stock.receive(
            uow,
            wire.receipts(msg.lines, first),
            reference=msg.supplier_order_id,
            for_order_id=msg.order_id,
        )

    def subscriptions(self) -> list[Subscription]:
        # Unversioned: shipped v5 and returned v7 of one order must both apply; each
        # handler is idempotent by itself and the inbox absorbs redeliveries.
        return [
            on(orders_events.OrderConfirmed, self.order_confirmed),
            on(orders_events.OrderCancelled, self.order_cancelled),
            on(orders_events.OrderShipped, self.order_shipped),
            on(orders_events.OrderReturned, self.order_returned),
            on(supplier_events.SupplierOrderReceived, self.supplier_order_received),
        ]


class CatalogueHandlers:
    """Pricing's product events: which skus exist, so stock is only booked for them."""

    def __init__(self, service: InventoryService) -> None:
        self.service = service

    async def product_upserted(
        self, uow: UnitOfWork, msg: pricing_events.ProductUpserted, _: ReceivedEvent
    ) -> None:
        sku, version = wire.announced_product(msg)
        await self.service.stock.learn_product(uow, sku, version)

    def subscriptions(self) -> list[Subscription]:
        # Versioned: a late, older snapshot of a product is skipped, never applied.
        return [on(pricing_events.ProductUpserted, self.product_upserted, versioned=True)]
