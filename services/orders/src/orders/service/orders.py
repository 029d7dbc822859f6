"""Order use cases after placement: reading, status transitions, shipments, deliveries,
cancellation, returns, and quote requests.

Every change loads the order under a row lock (`SELECT … FOR UPDATE`), so concurrent
changes of one order serialize and none is lost; its history rows and its events are
written in the entrypoint's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cypher_runtime.clock import Clock
from cypher_runtime.db import UnitOfWork
from orders import events
from orders.db.customers import Customers
from orders.db.numbering import OrderNumbers
from orders.db.orders import Orders
from orders.domain.changes import StatusChange
from orders.domain.lines import OrderReturn, Shipment
from orders.domain.order import Order, new_quote_request
from orders.domain.status import OrderStatus
from orders.errors import (
    CustomerNotFound,
    IdempotencyKeyReused,
    OrderNotFound,
    PlacementInProgress,
    ValidationFailed,
    VersionConflict,
)
from orders.queries import order_history

SYSTEM = "system"


def order_not_found(order_id: uuid.UUID) -> OrderNotFound:
    return OrderNotFound(f"order {order_id} not found", details={"order_id": str(order_id)})


async def store(uow: UnitOfWork, order: Order, *, with_customer: bool = False) -> None:
    """Save a changed order with its history rows and queue its events (a delivery
    carries the customer's billing data for the invoice)."""
    customer = await Customers(uow).get(order.customer_id) if with_customer else None
    await Orders(uow).save(order)
    uow.publish(*events.published(order, customer=customer))


@dataclass(frozen=True)
class QuoteRequest:
    customer_id: uuid.UUID
    lines: Mapping[str, int]
    notes: str = ""
    shipping_address: dict[str, str] | None = None
    idempotency_key: str = ""
    actor: str = SYSTEM

    def fingerprint(self) -> str:
        """What makes two requests with one idempotency key "the same"."""
        return (
            f"quote-request:{self.customer_id}:{sorted(self.lines.items())}:"
            f"{self.notes}:{self.shipping_address}"
        )


class OrderService:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    # -- reading --------------------------------------------------------------------------
    async def get(self, uow: UnitOfWork, order_id: uuid.UUID) -> Order:
        order = await Orders(uow).get(order_id)
        if order is None or not order.visible:
            raise order_not_found(order_id)
        return order

    async def history(self, uow: UnitOfWork, order_id: uuid.UUID) -> list[StatusChange]:
        await self.get(uow, order_id)
        return await order_history(uow.session, order_id)

    async def locked(
        self, uow: UnitOfWork, order_id: uuid.UUID, expected_version: int = 0
    ) -> Order:
        """The visible order, locked for this transaction, at the version expected."""
        order = await Orders(uow).get(order_id, for_update=True)
        if order is None or not order.visible:
            raise order_not_found(order_id)
        if order.being_placed:
            raise PlacementInProgress(
                f"order {order_id} is being placed", details={"order_id": str(order_id)}
            )
        if expected_version and order.version != expected_version:
            raise VersionConflict(
                "the order changed meanwhile",
                details={"expected_version": expected_version, "version": order.version},
            )
        return order

    # -- changing -------------------------------------------------------------------------
    async def change_status(
        self,
        uow: UnitOfWork,
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
                uow, order_id, reason=reason, actor=actor, expected_version=expected_version
            )
        if target == OrderStatus.RETURNED:
            order, _ = await self.return_goods(
                uow, order_id, None, reason=reason, actor=actor, expected_version=expected_version
            )
            return order
        order = await self.locked(uow, order_id, expected_version)
        now = self.clock.now()
        if target == OrderStatus.SHIPPED:
            if order.status != OrderStatus.SHIPPED:
                order.ship(None, shipment_id=uuid.uuid4(), actor=actor, at=now)
                await store(uow, order)
            return order
        if target == OrderStatus.DELIVERED:
            return await self._deliver_all(uow, order, actor=actor, at=now)
        if order.change_status(target, actor=actor, reason=reason, at=now) is not None:
            await store(uow, order)
        return order

    async def ship(
        self,
        uow: UnitOfWork,
        order_id: uuid.UUID,
        lines: Mapping[str, int] | None,
        *,
        carrier: str = "",
        tracking_number: str = "",
        idempotency_key: str = "",
        actor: str = SYSTEM,
        expected_version: int = 0,
    ) -> tuple[Order, Shipment]:
        # A repeated request with the same key finds its shipment by the derived id.
        shipment_id = (
            uuid.uuid5(order_id, f"shipment:{idempotency_key}") if idempotency_key else uuid.uuid4()
        )
        order = await self.locked(uow, order_id, expected_version)
        previous = next((s for s in order.shipments if s.id == shipment_id), None)
        if previous is not None:
            if lines and dict(lines) != previous.lines:
                raise IdempotencyKeyReused("this shipment key was used with other lines")
            return order, previous
        shipment = order.ship(
            lines,
            shipment_id=shipment_id,
            actor=actor,
            at=self.clock.now(),
            carrier=carrier,
            tracking_number=tracking_number,
        )
        await store(uow, order)
        return order, shipment

    async def deliver(
        self,
        uow: UnitOfWork,
        order_id: uuid.UUID,
        shipment_id: uuid.UUID,
        *,
        delivered_at: datetime | None = None,
        actor: str = SYSTEM,
    ) -> tuple[Order, Shipment]:
        now = self.clock.now()
        order = await self.locked(uow, order_id)
        shipment, applied = order.deliver(
            shipment_id, actor=actor, at=delivered_at or now, recorded_at=now
        )
        if applied:
            await store(uow, order, with_customer=True)
        return order, shipment

    async def _deliver_all(
        self, uow: UnitOfWork, order: Order, *, actor: str, at: datetime
    ) -> Order:
        if order.status == OrderStatus.DELIVERED:
            return order
        if order.status != OrderStatus.SHIPPED:
            order.change_status(OrderStatus.DELIVERED, actor=actor, reason="", at=at)  # raises
        for shipment in list(order.shipments):
            order.deliver(shipment.id, actor=actor, at=at, recorded_at=at)
        await store(uow, order, with_customer=True)
        return order

    async def cancel(
        self,
        uow: UnitOfWork,
        order_id: uuid.UUID,
        *,
        reason: str,
        actor: str = SYSTEM,
        expected_version: int = 0,
    ) -> Order:
        order = await self.locked(uow, order_id, expected_version)
        if order.cancel(actor=actor, reason=reason or "cancelled", at=self.clock.now()):
            await store(uow, order)
        return order

    async def return_goods(
        self,
        uow: UnitOfWork,
        order_id: uuid.UUID,
        lines: Mapping[str, int] | None,
        *,
        reason: str,
        idempotency_key: str = "",
        actor: str = SYSTEM,
        expected_version: int = 0,
    ) -> tuple[Order, OrderReturn]:
        # A repeated request with the same key finds its return by the derived id (the
        # order row lock serialises two at once; the second sees the first's return).
        return_id = (
            uuid.uuid5(order_id, f"return:{idempotency_key}") if idempotency_key else uuid.uuid4()
        )
        order = await self.locked(uow, order_id, expected_version)
        previous = next((r for r in order.returns if r.id == return_id), None)
        if previous is not None:
            if (lines and dict(lines) != previous.lines) or reason != previous.reason:
                raise IdempotencyKeyReused("this return key was used with another request")
            return order, previous
        order_return = order.return_goods(
            lines, return_id=return_id, reason=reason, actor=actor, at=self.clock.now()
        )
        await store(uow, order)
        return order, order_return

    async def create_quote_request(
        self, uow: UnitOfWork, request: QuoteRequest
    ) -> tuple[Order, bool]:
        """A quote request, visible at once; returns (order, replayed)."""
        if not request.lines:
            raise ValidationFailed({"lines": "at least one line is required"})
        orders = Orders(uow)
        if request.idempotency_key:
            earlier = await orders.by_idempotency_key(request.idempotency_key)
            if earlier is not None:
                if earlier.request_hash != request.fingerprint():
                    raise IdempotencyKeyReused(
                        "this idempotency key was used with a different request"
                    )
                return earlier.order, True
        if not await Customers(uow).exists(request.customer_id):
            raise CustomerNotFound(
                f"customer {request.customer_id} not found",
                details={"customer_id": str(request.customer_id)},
            )
        now = self.clock.now()
        order = new_quote_request(
            order_id=uuid.uuid4(),
            customer_id=request.customer_id,
            lines=request.lines,
            number=await OrderNumbers(uow).next(now.year),
            actor=request.actor,
            at=now,
            notes=request.notes,
            shipping_address=request.shipping_address,
        )
        added = await orders.add(
            order,
            idempotency_key=request.idempotency_key or None,
            request_hash=request.fingerprint(),
        )
        if not added:
            # The entrypoint's rollback gives the drawn number back.
            raise PlacementInProgress("a quote request with this key is being recorded; retry")
        uow.publish(*events.published(order))
        return order, False
