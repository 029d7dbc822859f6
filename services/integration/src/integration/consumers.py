"""Handlers of the events the integration service consumes. Each runs in the inbox
consumer's unit of work (the inbox row and the effect commit together), records an
intent only — no SmartBill call happens inside a handler — and the issuer is nudged
after the commit."""

from __future__ import annotations

import logging
import uuid

from cypher.orders.v1 import events_pb2 as orders_events
from cypher_runtime.db import UnitOfWork
from cypher_runtime.errors import ValidationFailed
from cypher_runtime.messaging.consumer import Subscription, on
from cypher_runtime.messaging.envelope import ReceivedEvent
from integration import wire
from integration.domain.billing import BillingParty
from integration.service import InvoicingService

log = logging.getLogger(__name__)


class Handlers:
    def __init__(self, service: InvoicingService) -> None:
        self.service = service

    async def order_delivered(
        self, uow: UnitOfWork, msg: orders_events.OrderDelivered, event: ReceivedEvent
    ) -> None:
        if not msg.fully_delivered:
            return  # the invoice follows the last delivery
        try:
            order_id = wire.uuid_field(msg.order_id, "order_id")
            party = wire.party_of(msg.customer)
            if not party.customer_id:
                party = BillingParty(customer_id=msg.order.customer_id, name="")
            source = wire.source_of(msg.order, party, delivered_only=True)
            delivered_on = wire.date_field(msg.delivery_date, "delivery_date")
        except ValidationFailed as exc:
            log.warning("order.delivered ignored: malformed", extra={"error": exc.message})
            return
        await self.service.record_delivery(
            uow, order_id=order_id, source=source, delivered_on=delivered_on
        )

    async def order_returned(
        self, uow: UnitOfWork, msg: orders_events.OrderReturned, event: ReceivedEvent
    ) -> None:
        try:
            order_id = uuid.UUID(msg.order_id)
        except ValueError:
            log.warning("order.returned ignored: malformed order id", extra={"id": msg.order_id})
            return
        returned: dict[str, int] = {}
        for line in msg.lines:
            returned[line.sku] = returned.get(line.sku, 0) + int(line.quantity)
        await self.service.record_return(
            uow, order_id=order_id, return_id=msg.return_id or event.id, returned=returned
        )

    def subscriptions(self) -> list[Subscription]:
        # Unversioned: each handler is idempotent on its own (one invoice per order, one
        # credit per return) and the inbox absorbs redeliveries.
        return [
            on(orders_events.OrderDelivered, self.order_delivered),
            on(orders_events.OrderReturned, self.order_returned),
        ]
