"""Use cases driven by other services' events: a quotation sent or accepted, a supplier
order placed or received, an invoice created, a payment received. Each runs in the
inbox consumer's unit of work, so a redelivered event has no second effect; an event
for an unknown order, or one the order is already past, changes nothing."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from cypher_runtime.clock import Clock
from cypher_runtime.db import UnitOfWork
from orders.db.orders import Orders
from orders.domain.order import Order
from orders.domain.status import OrderStatus
from orders.service.orders import SYSTEM, store

log = logging.getLogger(__name__)

# Applies the event to the locked order; False when it does not apply (nothing to save).
Change = Callable[[Order, datetime], bool]


class OrderEventService:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def quotation_sent(self, uow: UnitOfWork, order_id: str, quotation_id: str) -> None:
        def change(order: Order, now: datetime) -> bool:
            if not self._moves(
                order, OrderStatus.QUOTE_PENDING, OrderStatus.QUOTE_SENT, now,
                f"quotation {quotation_id} sent",
            ):  # fmt: skip
                return False
            order.quotation_id = quotation_id or order.quotation_id
            return True

        await self._apply(uow, order_id, "quotation sent", change)

    async def quotation_accepted(self, uow: UnitOfWork, order_id: str, quotation_id: str) -> None:
        await self._apply(
            uow,
            order_id,
            "quotation accepted",
            self._follow(
                OrderStatus.QUOTE_SENT,
                OrderStatus.QUOTE_ACCEPTED,
                f"quotation {quotation_id} accepted",
            ),
        )

    async def supplier_order_placed(
        self, uow: UnitOfWork, order_id: str, supplier_order_id: str
    ) -> None:
        await self._apply(
            uow,
            order_id,
            "supplier order placed",
            self._follow(
                OrderStatus.ORDER_CONFIRMED,
                OrderStatus.SUPPLIER_ORDER_PLACED,
                f"supplier order {supplier_order_id} placed",
            ),
        )

    async def supplier_order_received(
        self, uow: UnitOfWork, order_id: str, supplier_order_id: str
    ) -> None:
        await self._apply(
            uow,
            order_id,
            "supplier order received",
            self._follow(
                OrderStatus.SUPPLIER_ORDER_PLACED,
                OrderStatus.AWAITING_DELIVERY,
                f"supplier order {supplier_order_id} received",
            ),
        )

    async def invoice_created(self, uow: UnitOfWork, order_id: str, invoice_id: str) -> None:
        def change(order: Order, now: datetime) -> bool:
            return order.record_invoice(invoice_id, actor=SYSTEM, at=now)

        await self._apply(uow, order_id, "invoice created", change)

    async def payment_received(
        self,
        uow: UnitOfWork,
        order_id: str,
        *,
        invoice_id: str,
        total_paid: Decimal,
        fully_paid: bool,
    ) -> None:
        def change(order: Order, now: datetime) -> bool:
            return order.record_payment(
                invoice_id=invoice_id,
                total_paid=total_paid,
                fully_paid=fully_paid,
                actor=SYSTEM,
                at=now,
            )

        await self._apply(uow, order_id, "payment received", change)

    # -- the one way an event changes an order ----------------------------------------------
    async def _apply(self, uow: UnitOfWork, order_id_text: str, what: str, change: Change) -> None:
        if not order_id_text:
            return  # not about a customer order (a stock replenishment, …)
        try:
            order_id = uuid.UUID(order_id_text)
        except ValueError:
            log.warning(
                "event for a malformed order id ignored",
                extra={"event": what, "order_id": order_id_text},
            )
            return
        order = await Orders(uow).get(order_id, for_update=True)
        if order is None or not order.visible:
            log.warning(
                "event for an unknown order ignored",
                extra={"event": what, "order_id": order_id_text},
            )
            return
        if change(order, self.clock.now()):
            await store(uow, order)

    def _follow(self, source: OrderStatus, target: OrderStatus, reason: str) -> Change:
        def change(order: Order, now: datetime) -> bool:
            return self._moves(order, source, target, now, reason)

        return change

    @staticmethod
    def _moves(
        order: Order, source: OrderStatus, target: OrderStatus, now: datetime, reason: str
    ) -> bool:
        if order.status != source:
            # A duplicate, late or out-of-order event: the order is past it already.
            log.info(
                "event does not apply",
                extra={"order_id": str(order.id), "status": str(order.status), "target": target},
            )
            return False
        order.change_status(target, actor=SYSTEM, reason=reason, at=now)
        return True
