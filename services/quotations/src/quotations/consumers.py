"""Handlers of the events quotations consumes. Each runs in the inbox consumer's unit of
work (the effect and the inbox row commit together), so a redelivered event has no
second effect; handlers never commit."""

from __future__ import annotations

import logging
import uuid

from cypher.orders.v1 import events_pb2 as orders_events
from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.consumer import Subscription, on
from cypher_runtime.messaging.envelope import ReceivedEvent
from quotations.domain.lines import LineRequest
from quotations.service import CreateQuotation, QuotationsService

log = logging.getLogger(__name__)


class Consumers:
    def __init__(self, service: QuotationsService) -> None:
        self.service = service

    async def quote_requested(
        self, uow: UnitOfWork, msg: orders_events.OrderQuoteRequested, event: ReceivedEvent
    ) -> None:
        """A customer asked for a quote: draft a quotation for that order's customer and
        lines, linked to the order (idempotent by the order id as well)."""
        cmd = CreateQuotation(
            customer_id=uuid.UUID(msg.customer_id),
            lines=[LineRequest(sku=ln.sku, quantity=int(ln.quantity)) for ln in msg.lines],
            notes=msg.notes,
            source_order_id=uuid.UUID(msg.order_id),
        )
        quotation, replayed = await self.service.create(uow, cmd)
        log.info(
            "quotation drafted for a quote request",
            extra={
                "order_id": msg.order_id,
                "quotation_id": str(quotation.id),
                "replayed": replayed,
            },
        )

    def subscriptions(self) -> list[Subscription]:
        return [on(orders_events.OrderQuoteRequested, self.quote_requested)]
