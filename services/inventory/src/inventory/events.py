"""Handlers of the events inventory consumes. Each runs inside the inbox consumer's unit
of work (the inbox row and the effect commit together), so a redelivered event has no
second effect; handlers never commit themselves."""

from __future__ import annotations

import logging

from cypher.orders.v1 import events_pb2 as orders_events
from cypher.suppliers.v1 import events_pb2 as supplier_events
from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.consumer import Subscription
from cypher_runtime.messaging.envelope import ReceivedEvent, event_type_of
from inventory.domain import Line, ReleaseReason
from inventory.service import Inventory, Receipt

log = logging.getLogger(__name__)


class EventHandlers:
    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory

    async def order_confirmed(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = event.message
        assert isinstance(msg, orders_events.OrderConfirmed)
        await self.inventory.confirm_in(uow, msg.order_id)

    async def order_cancelled(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = event.message
        assert isinstance(msg, orders_events.OrderCancelled)
        result = await self.inventory.release_in(
            uow, msg.order_id, ReleaseReason.ORDER_CANCELLED, msg.reason
        )
        log.info("order cancelled", extra={"order_id": msg.order_id, "released": result.released})

    async def order_shipped(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = event.message
        assert isinstance(msg, orders_events.OrderShipped)
        await self.inventory.commit_in(
            uow,
            order_id=msg.order_id,
            shipment_id=msg.shipment_id,
            lines=[Line(line.sku, line.quantity) for line in msg.lines],
        )

    async def order_returned(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = event.message
        assert isinstance(msg, orders_events.OrderReturned)
        await self.inventory.restock_return_in(
            uow,
            order_id=msg.order_id,
            return_id=msg.return_id,
            lines=[Line(line.sku, line.quantity) for line in msg.lines],
            reason=msg.reason,
        )

    async def supplier_order_received(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = event.message
        assert isinstance(msg, supplier_events.SupplierOrderReceived)
        # A line without a warehouse goes to the first-priority one (HQ).
        first = (await self.inventory.warehouses(uow))[0].code
        await self.inventory.receive_in(
            uow,
            [Receipt(line.sku, line.warehouse or first, line.quantity) for line in msg.lines],
            reference=msg.supplier_order_id,
            for_order_id=msg.order_id,
        )

    def subscriptions(self) -> list[Subscription]:
        # Unversioned: shipped v5 and returned v7 of one order must both apply; each
        # handler is idempotent by itself and the inbox absorbs redeliveries.
        return [
            Subscription(event_type_of(orders_events.OrderConfirmed), self.order_confirmed),
            Subscription(event_type_of(orders_events.OrderCancelled), self.order_cancelled),
            Subscription(event_type_of(orders_events.OrderShipped), self.order_shipped),
            Subscription(event_type_of(orders_events.OrderReturned), self.order_returned),
            Subscription(
                event_type_of(supplier_events.SupplierOrderReceived), self.supplier_order_received
            ),
        ]
