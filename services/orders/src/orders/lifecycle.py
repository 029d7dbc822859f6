"""Order use cases after placement: reading, status transitions, shipments,
deliveries, cancellation, returns, quote requests, and the handlers of the events
that move orders (quotations, invoices, payments, supplier orders).

Every change runs in one unit of work: the order row is locked (`SELECT … FOR
UPDATE`), so concurrent changes of one order serialize and none is lost; the history
rows and the outbox events are written in the same transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, UnitOfWork
from cypher_runtime.messaging.envelope import Event, ReceivedEvent
from orders import db
from orders import events as ev
from orders.customers import page_size
from orders.domain.model import (
    Order,
    OrderReturn,
    Placement,
    Shipment,
    StatusChange,
    new_quote_request,
)
from orders.domain.numbering import format_order_number
from orders.domain.status import OrderStatus
from orders.errors import (
    CustomerNotFound,
    IdempotencyKeyReused,
    OrderNotFound,
    PlacementInProgress,
    ValidationFailed,
    VersionConflict,
)

log = logging.getLogger(__name__)

SYSTEM = "system"


class OrderService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.db = database
        self.clock = clock

    # -- reading --------------------------------------------------------------------------
    async def get(self, order_id: uuid.UUID) -> Order:
        async with self.db.unit_of_work() as uow:
            order = await db.get_order(uow.session, order_id)
        if order is None or not order.visible:
            raise OrderNotFound(f"order {order_id} not found", details={"order_id": str(order_id)})
        return order

    async def list_orders(
        self,
        *,
        statuses: Sequence[OrderStatus],
        customer_id: uuid.UUID | None,
        created_from: datetime | None,
        created_to: datetime | None,
        limit: int,
        cursor: str,
    ) -> tuple[list[Order], str]:
        async with self.db.unit_of_work() as uow:
            return await db.list_orders(
                uow.session,
                statuses=statuses,
                customer_id=customer_id,
                created_from=created_from,
                created_to=created_to,
                limit=page_size(limit),
                cursor=cursor,
            )

    async def history(self, order_id: uuid.UUID) -> list[StatusChange]:
        await self.get(order_id)
        async with self.db.unit_of_work() as uow:
            return await db.get_history(uow.session, order_id)

    # -- the one way an order changes ----------------------------------------------------
    async def _locked(
        self, uow: UnitOfWork, order_id: uuid.UUID, expected_version: int = 0
    ) -> Order:
        order = await db.get_order(uow.session, order_id, for_update=True)
        if order is None or not order.visible:
            raise OrderNotFound(f"order {order_id} not found", details={"order_id": str(order_id)})
        if order.placement in (Placement.PENDING, Placement.COMPENSATING):
            raise PlacementInProgress(
                f"order {order_id} is being placed", details={"order_id": str(order_id)}
            )
        if expected_version and order.version != expected_version:
            raise VersionConflict(
                "the order changed meanwhile",
                details={"expected_version": expected_version, "version": order.version},
            )
        return order

    @staticmethod
    async def _save(uow: UnitOfWork, order: Order, *extra: Event) -> None:
        await db.save_order(uow.session, order)
        await db.append_history(uow.session, order.id, order.pending_changes)
        uow.publish(*ev.status_events(order, order.pending_changes), *extra)
        order.pending_changes.clear()

    # -- use cases -------------------------------------------------------------------------
    async def change_status(
        self,
        order_id: uuid.UUID,
        target: OrderStatus,
        *,
        reason: str = "",
        actor: str = SYSTEM,
        expected_version: int = 0,
    ) -> Order:
        """Move to `target`. Targets with a side effect go through their use case so the
        events are right: CANCELLED cancels, SHIPPED ships the rest, DELIVERED delivers
        every open shipment, RETURNED returns everything shipped."""
        if target == OrderStatus.CANCELLED:
            return await self.cancel(
                order_id, reason=reason, actor=actor, expected_version=expected_version
            )
        if target == OrderStatus.SHIPPED:
            order = await self.get(order_id)
            if order.status == OrderStatus.SHIPPED:
                return order
            return (
                await self.ship(order_id, None, actor=actor, expected_version=expected_version)
            )[0]
        if target == OrderStatus.RETURNED:
            return (
                await self.return_goods(
                    order_id, None, reason=reason, actor=actor, expected_version=expected_version
                )
            )[0]
        if target == OrderStatus.DELIVERED:
            return await self._deliver_all(order_id, actor=actor, expected_version=expected_version)
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            order = await self._locked(uow, order_id, expected_version)
            extra: list[Event] = []
            if order.change_status(target, actor=actor, reason=reason, at=now) is not None:
                if target == OrderStatus.PAID:
                    extra.append(ev.paid(order, now))
                await self._save(uow, order, *extra)
                await uow.commit()
        return order

    async def ship(
        self,
        order_id: uuid.UUID,
        lines: Mapping[str, int] | None,
        *,
        carrier: str = "",
        tracking_number: str = "",
        idempotency_key: str = "",
        actor: str = SYSTEM,
        expected_version: int = 0,
    ) -> tuple[Order, Shipment]:
        now = self.clock.now()
        # A repeated request with the same key finds its shipment by the derived id.
        shipment_id = (
            uuid.uuid5(order_id, f"shipment:{idempotency_key}") if idempotency_key else uuid.uuid4()
        )
        async with self.db.unit_of_work() as uow:
            order = await self._locked(uow, order_id, expected_version)
            previous = next((s for s in order.shipments if s.id == shipment_id), None)
            if previous is not None:
                if lines and dict(lines) != previous.lines:
                    raise IdempotencyKeyReused("this shipment key was used with other lines")
                return order, previous
            shipment = order.ship(
                lines,
                shipment_id=shipment_id,
                actor=actor,
                at=now,
                carrier=carrier,
                tracking_number=tracking_number,
            )
            await self._save(uow, order, ev.shipped(order, shipment, now))
            await uow.commit()
        return order, shipment

    async def deliver(
        self,
        order_id: uuid.UUID,
        shipment_id: uuid.UUID,
        *,
        delivered_at: datetime | None = None,
        actor: str = SYSTEM,
    ) -> tuple[Order, Shipment]:
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            order = await self._locked(uow, order_id)
            shipment, applied = order.deliver(shipment_id, actor=actor, at=delivered_at or now)
            if applied:
                customer = await db.get_customer(uow.session, order.customer_id)
                await self._save(uow, order, ev.delivered(order, shipment, customer, now))
                await uow.commit()
        return order, shipment

    async def _deliver_all(
        self, order_id: uuid.UUID, *, actor: str, expected_version: int
    ) -> Order:
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            order = await self._locked(uow, order_id, expected_version)
            if order.status == OrderStatus.DELIVERED:
                return order
            if order.status != OrderStatus.SHIPPED:
                order.change_status(OrderStatus.DELIVERED, actor=actor, reason="", at=now)  # raises
            customer = await db.get_customer(uow.session, order.customer_id)
            extra: list[Event] = []
            for shipment in list(order.shipments):
                shipment, applied = order.deliver(shipment.id, actor=actor, at=now)
                if applied:
                    extra.append(ev.delivered(order, shipment, customer, now))
            await self._save(uow, order, *extra)
            await uow.commit()
        return order

    async def cancel(
        self, order_id: uuid.UUID, *, reason: str, actor: str = SYSTEM, expected_version: int = 0
    ) -> Order:
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            order = await self._locked(uow, order_id, expected_version)
            change = order.cancel(actor=actor, reason=reason or "cancelled", at=now)
            if change is not None:
                await self._save(uow, order, ev.cancelled(order, change))
                await uow.commit()
        return order

    async def return_goods(
        self,
        order_id: uuid.UUID,
        lines: Mapping[str, int] | None,
        *,
        reason: str,
        actor: str = SYSTEM,
        expected_version: int = 0,
    ) -> tuple[Order, OrderReturn]:
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            order = await self._locked(uow, order_id, expected_version)
            order_return = order.return_goods(
                lines, return_id=uuid.uuid4(), reason=reason, actor=actor, at=now
            )
            await self._save(uow, order, ev.returned(order, order_return))
            await uow.commit()
        return order, order_return

    async def create_quote_request(
        self,
        *,
        customer_id: uuid.UUID,
        lines: Mapping[str, int],
        notes: str = "",
        shipping_address: dict[str, str] | None = None,
        idempotency_key: str = "",
        actor: str = SYSTEM,
    ) -> tuple[Order, bool]:
        if not lines:
            raise ValidationFailed({"lines": "at least one line is required"})
        fingerprint = (
            f"quote-request:{customer_id}:{sorted(lines.items())}:{notes}:{shipping_address}"
        )
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            if idempotency_key:
                row = await db.find_order_by(uow.session, idempotency_key=idempotency_key)
                if row is not None:
                    if row["request_hash"] != fingerprint:
                        raise IdempotencyKeyReused(
                            "this idempotency key was used with a different request"
                        )
                    return db.row_to_order(row), True
            if await db.get_customer(uow.session, customer_id) is None:
                raise CustomerNotFound(
                    f"customer {customer_id} not found", details={"customer_id": str(customer_id)}
                )
            number = format_order_number(
                now.year, await db.next_order_number(uow.session, now.year)
            )
            order = new_quote_request(
                order_id=uuid.uuid4(),
                customer_id=customer_id,
                lines=lines,
                number=number,
                actor=actor,
                at=now,
                notes=notes,
                shipping_address=shipping_address,
            )
            if not await db.insert_order(
                uow.session,
                order,
                idempotency_key=idempotency_key or None,
                request_hash=fingerprint,
            ):
                await uow.rollback()  # gives the number back
                raise PlacementInProgress("a quote request with this key is being recorded; retry")
            await db.append_history(uow.session, order.id, order.pending_changes)
            uow.publish(
                ev.created(order, now),
                ev.quote_requested(order, now),
                *ev.status_events(order, order.pending_changes),
            )
            order.pending_changes.clear()
            await uow.commit()
        return order, False

    # -- event handlers (the consumer commits with the inbox row) --------------------------
    async def _apply_event(
        self,
        uow: UnitOfWork,
        order_id_text: str,
        what: str,
        change: Callable[[Order, datetime], list[Event] | None],
    ) -> None:
        try:
            order_id = uuid.UUID(order_id_text)
        except ValueError:
            log.warning(
                "event for a malformed order id ignored",
                extra={"event": what, "order_id": order_id_text},
            )
            return
        order = await db.get_order(uow.session, order_id, for_update=True)
        if order is None or not order.visible:
            log.warning(
                "event for an unknown order ignored",
                extra={"event": what, "order_id": order_id_text},
            )
            return
        extra = change(order, self.clock.now())
        if extra is None:
            return
        await self._save(uow, order, *extra)

    def _follow(
        self, target: OrderStatus, source: OrderStatus, reason: str
    ) -> Callable[[Order, datetime], list[Event] | None]:
        def change(order: Order, now: datetime) -> list[Event] | None:
            if order.status != source:
                # A duplicate, late or out-of-order event: the order is past it already.
                log.info(
                    "event does not apply",
                    extra={
                        "order_id": str(order.id),
                        "status": str(order.status),
                        "target": target.value,
                    },
                )
                return None
            order.change_status(target, actor=SYSTEM, reason=reason, at=now)
            return []

        return change

    async def on_quotation_sent(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = event.message
        order_id = str(getattr(msg, "source_order_id", ""))
        quotation_id = str(getattr(msg, "quotation_id", ""))
        follow = self._follow(
            OrderStatus.QUOTE_SENT, OrderStatus.QUOTE_PENDING, f"quotation {quotation_id} sent"
        )

        def change(order: Order, now: datetime) -> list[Event] | None:
            result = follow(order, now)
            if result is not None and quotation_id:
                order.quotation_id = quotation_id
            return result

        if order_id:
            await self._apply_event(uow, order_id, event.type, change)

    async def on_quotation_accepted(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = event.message
        order_id = str(getattr(msg, "source_order_id", ""))
        quotation_id = str(getattr(msg, "quotation_id", ""))
        if order_id:
            await self._apply_event(
                uow,
                order_id,
                event.type,
                self._follow(
                    OrderStatus.QUOTE_ACCEPTED,
                    OrderStatus.QUOTE_SENT,
                    f"quotation {quotation_id} accepted",
                ),
            )

    async def on_supplier_order_placed(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = event.message
        order_id = str(getattr(msg, "order_id", ""))
        if order_id:
            await self._apply_event(
                uow,
                order_id,
                event.type,
                self._follow(
                    OrderStatus.SUPPLIER_ORDER_PLACED,
                    OrderStatus.ORDER_CONFIRMED,
                    f"supplier order {getattr(msg, 'supplier_order_id', '')} placed",
                ),
            )

    async def on_supplier_order_received(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = event.message
        order_id = str(getattr(msg, "order_id", ""))
        if order_id:
            await self._apply_event(
                uow,
                order_id,
                event.type,
                self._follow(
                    OrderStatus.AWAITING_DELIVERY,
                    OrderStatus.SUPPLIER_ORDER_PLACED,
                    f"supplier order {getattr(msg, 'supplier_order_id', '')} received",
                ),
            )

    async def on_invoice_created(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = event.message
        invoice_id = str(getattr(msg, "invoice_id", ""))

        def change(order: Order, now: datetime) -> list[Event] | None:
            if order.invoice_id == invoice_id and order.status != OrderStatus.DELIVERED:
                return None
            order.record_invoice(invoice_id, actor=SYSTEM, at=now)
            return []

        await self._apply_event(uow, str(getattr(msg, "order_id", "")), event.type, change)

    async def on_payment_received(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = event.message
        total = getattr(msg, "total_paid", None)
        amount = Decimal(total.amount) if total is not None and total.amount else Decimal("0")

        def change(order: Order, now: datetime) -> list[Event] | None:
            became_paid = order.record_payment(
                invoice_id=str(getattr(msg, "invoice_id", "")),
                total_paid=amount,
                fully_paid=bool(getattr(msg, "fully_paid", False)),
                actor=SYSTEM,
                at=now,
            )
            return [ev.paid(order, now)] if became_paid else []

        await self._apply_event(uow, str(getattr(msg, "order_id", "")), event.type, change)
