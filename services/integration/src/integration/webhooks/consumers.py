"""Handlers of the events that become webhook deliveries. Each only inserts rows in the
inbox's unit of work (the inbox row and the delivery rows commit together: a
redelivered event yields no second delivery, and no HTTP call ever happens inside a
handler, so a slow or dead partner never holds up the event flow). The dispatcher is
nudged after the commit."""

from __future__ import annotations

from typing import Any

from cypher.common.v1 import money_pb2
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.orders.v1 import orders_pb2
from cypher.pricing.v1 import events_pb2 as pricing_events
from cypher.quotations.v1 import events_pb2 as quotations_events
from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.consumer import Subscription, on
from cypher_runtime.messaging.envelope import ReceivedEvent
from cypher_runtime.proto_values import datetime_from_pb
from integration.webhooks.domain.hooks import (
    ORDER_EVENTS,
    PRICE_CHANGED,
    QUOTATION_EXPIRING,
    QUOTATION_SENT,
    Occurrence,
)
from integration.webhooks.service import WebhookService


def _time(msg: Any, name: str) -> str | None:
    return datetime_from_pb(getattr(msg, name)).isoformat() if msg.HasField(name) else None


def _money(value: money_pb2.Money) -> dict[str, str] | None:
    return {"amount": value.amount, "currency": value.currency or "RON"} if value.amount else None


def _totals(totals: money_pb2.Totals) -> dict[str, str] | None:
    if not totals.HasField("gross"):
        return None
    return {
        "net": totals.net.amount,
        "vat": totals.vat.amount,
        "gross": totals.gross.amount,
        "currency": totals.gross.currency or "RON",
    }


class WebhookHandlers:
    def __init__(self, service: WebhookService) -> None:
        self.service = service

    async def order_status_changed(
        self, uow: UnitOfWork, msg: orders_events.OrderStatusChanged, event: ReceivedEvent
    ) -> None:
        status = orders_pb2.OrderStatus.Name(msg.to_status).removeprefix("ORDER_STATUS_")
        event_type = ORDER_EVENTS.get(status)
        if event_type is None or not msg.customer_id:
            return
        previous = orders_pb2.OrderStatus.Name(msg.from_status).removeprefix("ORDER_STATUS_")
        await self.service.record(
            uow,
            event_id=event.id,
            occurrence=Occurrence(event_type, customer_id=msg.customer_id),
            payload={
                "order_id": msg.order_id,
                "number": msg.number,
                "customer_id": msg.customer_id,
                "status": status,
                "previous_status": previous,
                "reason": msg.reason,
                "occurred_at": _time(msg, "occurred_at") or event.time,
            },
        )

    async def order_confirmed(
        self, uow: UnitOfWork, msg: orders_events.OrderConfirmed, event: ReceivedEvent
    ) -> None:
        # Not a webhook itself (the status change is): it teaches which skus the
        # customer buys, for `price.changed`.
        await self.service.learn_skus(uow, msg.customer_id, [line.sku for line in msg.lines])

    async def quotation_sent(
        self, uow: UnitOfWork, msg: quotations_events.QuotationSent, event: ReceivedEvent
    ) -> None:
        if not msg.customer_id:
            return
        await self.service.record(
            uow,
            event_id=event.id,
            occurrence=Occurrence(QUOTATION_SENT, customer_id=msg.customer_id),
            payload={
                "quotation_id": msg.quotation_id,
                "number": msg.number,
                "customer_id": msg.customer_id,
                "source_order_id": msg.source_order_id,
                "valid_until": _time(msg, "valid_until"),
                "totals": _totals(msg.totals),
            },
        )

    async def reminder_due(
        self, uow: UnitOfWork, msg: quotations_events.QuotationReminderDue, event: ReceivedEvent
    ) -> None:
        if not msg.customer_id:
            return
        days = msg.days_before_expiry or max(1, round(msg.seconds_before_expiry / 86400))
        await self.service.record(
            uow,
            event_id=event.id,
            occurrence=Occurrence(QUOTATION_EXPIRING, customer_id=msg.customer_id),
            payload={
                "quotation_id": msg.quotation_id,
                "number": msg.number,
                "customer_id": msg.customer_id,
                "valid_until": _time(msg, "valid_until"),
                "days_before_expiry": days,
                "totals": _totals(msg.totals),
            },
        )

    async def price_updated(
        self, uow: UnitOfWork, msg: pricing_events.PriceUpdated, event: ReceivedEvent
    ) -> None:
        if not msg.sku:
            return
        await self.service.record(
            uow,
            event_id=event.id,
            occurrence=Occurrence(PRICE_CHANGED, sku=msg.sku),
            payload={
                "sku": msg.sku,
                "old_list_price": _money(msg.old_list_price),
                "new_list_price": _money(msg.new_list_price),
                "new_list_price_gross": _money(msg.new_list_price_gross),
                "vat_rate": msg.vat_rate,
                "occurred_at": event.time,
            },
        )

    def subscriptions(self) -> list[Subscription]:
        return [
            on(orders_events.OrderStatusChanged, self.order_status_changed),
            on(orders_events.OrderConfirmed, self.order_confirmed),
            on(quotations_events.QuotationSent, self.quotation_sent),
            on(quotations_events.QuotationReminderDue, self.reminder_due),
            on(pricing_events.PriceUpdated, self.price_updated),
        ]
