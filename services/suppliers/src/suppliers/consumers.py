"""Handlers of the events suppliers consumes."""

from __future__ import annotations

from datetime import date

from cypher.orders.v1 import events_pb2 as orders_events
from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.consumer import Subscription, on
from cypher_runtime.messaging.envelope import ReceivedEvent
from suppliers.service import BackorderLine, SuppliersService


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class Handlers:
    def __init__(self, service: SuppliersService) -> None:
        self.service = service

    async def backorder_needed(
        self, uow: UnitOfWork, msg: orders_events.OrderBackorderNeeded, event: ReceivedEvent
    ) -> None:
        if not msg.order_id:
            return
        await self.service.draft_for_backorder(
            uow,
            msg.order_id,
            [BackorderLine(x.sku, int(x.quantity), _date(x.expected_date)) for x in msg.lines],
        )

    def subscriptions(self) -> list[Subscription]:
        return [on(orders_events.OrderBackorderNeeded, self.backorder_needed)]
