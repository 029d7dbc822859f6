"""The events orders consumes, each handled by a typed handler that translates the
message and calls a use case with the inbox consumer's unit of work (which commits the
effect and the inbox row together). Routing keys come from the events' proto option."""

from __future__ import annotations

from cypher.integration.v1 import events_pb2 as integration
from cypher.quotations.v1 import events_pb2 as quotations
from cypher.suppliers.v1 import events_pb2 as suppliers
from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.consumer import Subscription, on
from cypher_runtime.messaging.envelope import ReceivedEvent
from orders.service.order_events import OrderEventService
from orders.wire import amount_from_proto


class OrderEventHandlers:
    def __init__(self, service: OrderEventService) -> None:
        self.service = service

    def subscriptions(self) -> list[Subscription]:
        return [
            on(quotations.QuotationSent, self.quotation_sent),
            on(quotations.QuotationAccepted, self.quotation_accepted),
            on(suppliers.SupplierOrderPlaced, self.supplier_order_placed),
            on(suppliers.SupplierOrderReceived, self.supplier_order_received),
            on(integration.InvoiceCreated, self.invoice_created),
            on(integration.PaymentReceived, self.payment_received),
        ]

    async def quotation_sent(
        self, uow: UnitOfWork, msg: quotations.QuotationSent, event: ReceivedEvent
    ) -> None:
        await self.service.quotation_sent(uow, msg.source_order_id, msg.quotation_id)

    async def quotation_accepted(
        self, uow: UnitOfWork, msg: quotations.QuotationAccepted, event: ReceivedEvent
    ) -> None:
        await self.service.quotation_accepted(uow, msg.source_order_id, msg.quotation_id)

    async def supplier_order_placed(
        self, uow: UnitOfWork, msg: suppliers.SupplierOrderPlaced, event: ReceivedEvent
    ) -> None:
        await self.service.supplier_order_placed(uow, msg.order_id, msg.supplier_order_id)

    async def supplier_order_received(
        self, uow: UnitOfWork, msg: suppliers.SupplierOrderReceived, event: ReceivedEvent
    ) -> None:
        await self.service.supplier_order_received(uow, msg.order_id, msg.supplier_order_id)

    async def invoice_created(
        self, uow: UnitOfWork, msg: integration.InvoiceCreated, event: ReceivedEvent
    ) -> None:
        await self.service.invoice_created(uow, msg.order_id, msg.invoice_id)

    async def payment_received(
        self, uow: UnitOfWork, msg: integration.PaymentReceived, event: ReceivedEvent
    ) -> None:
        await self.service.payment_received(
            uow,
            msg.order_id,
            invoice_id=msg.invoice_id,
            total_paid=amount_from_proto(msg.total_paid, "total_paid"),
            fully_paid=msg.fully_paid,
        )
