"""Handlers of the events that become mails. Each records the mail in the inbox's unit
of work (inbox row and mail row commit together, so a redelivered event is not mailed
twice; the mail key makes a second event for the same thing — e.g. the same order
reaching SHIPPED again — a no-op too). The dispatcher is nudged after the commit."""

from __future__ import annotations

from typing import Any

from cypher.common.v1 import money_pb2
from cypher.inventory.v1 import events_pb2 as inventory_events
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.orders.v1 import orders_pb2
from cypher.quotations.v1 import events_pb2 as quotations_events
from cypher.suppliers.v1 import events_pb2 as suppliers_events
from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.consumer import Subscription, on
from cypher_runtime.messaging.envelope import ReceivedEvent
from cypher_runtime.proto_values import datetime_from_pb
from integration.mail.domain.mails import ORDER_STATUS_MAILS, Attachment, Template
from integration.mail.service import MailService


def _totals(totals: money_pb2.Totals) -> dict[str, str] | None:
    if not totals.HasField("gross"):
        return None
    return {"net": totals.net.amount, "vat": totals.vat.amount, "gross": totals.gross.amount}


def _date(msg: Any, name: str) -> str:
    return datetime_from_pb(getattr(msg, name)).date().isoformat() if msg.HasField(name) else ""


class MailHandlers:
    def __init__(self, service: MailService) -> None:
        self.service = service

    async def quotation_sent(
        self, uow: UnitOfWork, msg: quotations_events.QuotationSent, event: ReceivedEvent
    ) -> None:
        attachment = (
            Attachment(msg.pdf_filename or f"{msg.number}.pdf", "application/pdf", bytes(msg.pdf))
            if msg.pdf
            else None
        )
        await self.service.record(
            uow,
            key=f"{Template.QUOTATION_SENT.value}:{event.id}",
            template=Template.QUOTATION_SENT,
            event_id=event.id,
            context={
                "number": msg.number,
                "message": msg.message,
                "valid_until": _date(msg, "valid_until"),
                "totals": _totals(msg.totals),
            },
            to_address=msg.recipient_email,
            customer_id=msg.customer_id,
            attachment=attachment,
            quotation_pdf_of="" if attachment else msg.quotation_id,
        )

    async def reminder_due(
        self, uow: UnitOfWork, msg: quotations_events.QuotationReminderDue, event: ReceivedEvent
    ) -> None:
        days = msg.days_before_expiry or max(1, round(msg.seconds_before_expiry / 86400))
        await self.service.record(
            uow,
            key=f"{Template.QUOTATION_REMINDER.value}:{msg.quotation_id}:{days}",
            template=Template.QUOTATION_REMINDER,
            event_id=event.id,
            context={
                "number": msg.number,
                "valid_until": _date(msg, "valid_until"),
                "days_before_expiry": days,
                "totals": _totals(msg.totals),
            },
            to_address=msg.recipient_email,
            customer_id=msg.customer_id,
        )

    async def order_status_changed(
        self, uow: UnitOfWork, msg: orders_events.OrderStatusChanged, event: ReceivedEvent
    ) -> None:
        status = orders_pb2.OrderStatus.Name(msg.to_status).removeprefix("ORDER_STATUS_")
        template = ORDER_STATUS_MAILS.get(status)
        if template is None or not msg.customer_id:
            return
        await self.service.record(
            uow,
            # One mail per order and status, whatever the number of events saying so.
            key=f"{template.value}:{msg.order_id}",
            template=template,
            event_id=event.id,
            context={"number": msg.number or msg.order_id[:8], "order_id": msg.order_id},
            customer_id=msg.customer_id,
        )

    async def low_stock(
        self, uow: UnitOfWork, msg: inventory_events.InventoryLowStock, event: ReceivedEvent
    ) -> None:
        await self.service.to_warehouse(
            uow,
            key=f"{Template.LOW_STOCK.value}:{event.id}",
            event_id=event.id,
            context={
                "sku": msg.sku,
                "warehouse": msg.warehouse,
                "available": msg.available,
                "threshold": msg.threshold,
                "total_available": msg.total_available,
            },
        )

    async def supplier_price_changed(
        self, uow: UnitOfWork, msg: suppliers_events.SupplierPriceChanged, event: ReceivedEvent
    ) -> None:
        if not msg.alert_raised:
            return  # only a change above the alert threshold is mailed
        await self.service.to_purchasing(
            uow,
            key=f"{Template.PRICE_ALERT.value}:{msg.price_alert_id or event.id}",
            event_id=event.id,
            context={
                "supplier": msg.supplier_id,
                "supplier_sku": msg.supplier_sku,
                "sku": msg.sku,
                "old_price": msg.old_price.amount,
                "new_price": msg.new_price.amount,
                "currency": msg.new_price.currency or "RON",
                "change_pct": msg.change_pct,
            },
        )

    def subscriptions(self) -> list[Subscription]:
        return [
            on(quotations_events.QuotationSent, self.quotation_sent),
            on(quotations_events.QuotationReminderDue, self.reminder_due),
            on(orders_events.OrderStatusChanged, self.order_status_changed),
            on(inventory_events.InventoryLowStock, self.low_stock),
            on(suppliers_events.SupplierPriceChanged, self.supplier_price_changed),
        ]
