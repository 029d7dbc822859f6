"""The order aggregate: lines, shipments, returns, prices, its place in the placement
saga, and every change it makes.

Each method checks the rules, mutates the aggregate, bumps its version once and records
what happened in `changes` (status transitions, shipments, cancellation…), which the
repository stores as history rows and `orders.events` publishes, in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from orders.domain.changes import (
    BackorderNeeded,
    GoodsReturned,
    OrderCancelled,
    OrderChange,
    OrderConfirmed,
    OrderCreated,
    OrderPaid,
    QuoteRequested,
    ShipmentCreated,
    ShipmentDelivered,
    StatusChange,
)
from orders.domain.lines import (
    Backorder,
    OrderLine,
    OrderReturn,
    Shipment,
    ShipmentStatus,
    check_quantities,
    new_lines,
)
from orders.domain.placement import OPEN_PLACEMENTS, Placement
from orders.domain.prices import ZERO, LinePrice, Totals, money, totals_of
from orders.domain.status import CANCELLABLE, RETURNABLE, OrderStatus, check_transition
from orders.errors import ConfirmationNeedsPlacement, ShipmentNotFound


class OrderSource(StrEnum):
    DIRECT = "DIRECT"
    QUOTE_REQUEST = "QUOTE_REQUEST"
    QUOTATION = "QUOTATION"


@dataclass
class Order:
    id: uuid.UUID
    customer_id: uuid.UUID
    source: OrderSource
    lines: list[OrderLine]
    created_at: datetime
    updated_at: datetime
    status: OrderStatus | None = None
    placement: Placement | None = None
    number: str | None = None
    quotation_id: str | None = None
    allow_backorder: bool = False
    notes: str = ""
    shipping_address: dict[str, str] | None = None
    currency: str = "RON"
    shipments: list[Shipment] = field(default_factory=list)
    returns: list[OrderReturn] = field(default_factory=list)
    reservation_id: str | None = None
    pricing_date: str | None = None
    version: int = 1
    confirmed_at: datetime | None = None
    invoice_id: str | None = None
    amount_paid: Decimal = ZERO
    changes: list[OrderChange] = field(default_factory=list)

    # -- reading ---------------------------------------------------------------------
    @property
    def visible(self) -> bool:
        """Clients see an order once it has a status (confirmed, or a quote request)."""
        return self.status is not None

    @property
    def being_placed(self) -> bool:
        return self.placement in OPEN_PLACEMENTS

    def line(self, sku: str) -> OrderLine | None:
        return next((ln for ln in self.lines if ln.sku == sku), None)

    @property
    def prices_stored(self) -> bool:
        return bool(self.lines) and all(ln.price is not None for ln in self.lines)

    def totals(self) -> Totals:
        return totals_of([ln.price for ln in self.lines if ln.price is not None])

    @property
    def fully_shipped(self) -> bool:
        return all(ln.shipped >= ln.quantity for ln in self.lines)

    @property
    def fully_delivered(self) -> bool:
        return all(ln.delivered >= ln.quantity for ln in self.lines)

    @property
    def status_changes(self) -> list[StatusChange]:
        """The transitions recorded since the last save (its new history rows)."""
        return [c for c in self.changes if isinstance(c, StatusChange)]

    def shipment(self, shipment_id: uuid.UUID) -> Shipment:
        for shipment in self.shipments:
            if shipment.id == shipment_id:
                return shipment
        raise ShipmentNotFound(
            f"order {self.id} has no shipment {shipment_id}",
            details={"order_id": str(self.id), "shipment_id": str(shipment_id)},
        )

    # -- changing --------------------------------------------------------------------
    def _touch(self, at: datetime) -> None:
        self.version += 1
        self.updated_at = at

    def _move(self, target: OrderStatus, *, actor: str, reason: str, at: datetime) -> StatusChange:
        if self.status is None:
            raise ConfirmationNeedsPlacement(f"order {self.id} is not placed yet")
        check_transition(self.status, target)
        change = StatusChange(self.status, target, actor, reason, at)
        self.status = target
        self.changes.append(change)
        if target == OrderStatus.PAID:
            self.changes.append(OrderPaid(at))
        return change

    def change_status(
        self, target: OrderStatus, *, actor: str, reason: str, at: datetime
    ) -> StatusChange | None:
        """A plain transition (no side effect beyond history). Same status = no-op."""
        if self.status == target:
            return None
        if target == OrderStatus.ORDER_CONFIRMED:
            # Prices and a reservation come only from the placement saga.
            raise ConfirmationNeedsPlacement(
                "ORDER_CONFIRMED is reached by placing the order (CreateOrder), not set by hand",
                details={"from": str(self.status), "to": target.value},
            )
        change = self._move(target, actor=actor, reason=reason, at=at)
        self._touch(at)
        return change

    def begin_conversion(
        self,
        lines: Mapping[str, int],
        *,
        locked: Mapping[str, LinePrice],
        allow_backorder: bool,
        quotation_id: str,
        notes: str,
        shipping_address: dict[str, str] | None,
        at: datetime,
    ) -> None:
        """A quote request (QUOTE_ACCEPTED) enters the placement saga with its final lines."""
        assert self.status is not None
        check_transition(self.status, OrderStatus.ORDER_CONFIRMED)
        self.lines = new_lines(lines, locked)
        self.allow_backorder = allow_backorder
        self.quotation_id = quotation_id or self.quotation_id
        self.notes = notes or self.notes
        self.shipping_address = shipping_address or self.shipping_address
        self.placement = Placement.PENDING
        self.updated_at = at

    def apply_prices(
        self, prices: Mapping[str, LinePrice], *, pricing_date: str, at: datetime
    ) -> None:
        """Store the prices of the lines that are not locked (saga step PRICE)."""
        for ln in self.lines:
            if ln.price_locked:
                continue
            ln.price = prices[ln.sku]
        currencies = {ln.price.currency for ln in self.lines if ln.price is not None}
        if len(currencies) == 1:
            self.currency = currencies.pop()
        self.pricing_date = pricing_date
        self._touch(at)

    def record_reservation(
        self, reservation_id: str, backorders: Sequence[Backorder], *, at: datetime
    ) -> None:
        """Saga step RESERVE: what inventory could not supply is backordered."""
        self.reservation_id = reservation_id
        missing = {b.sku: b.quantity for b in backorders}
        for ln in self.lines:
            ln.backordered = missing.get(ln.sku, 0)
        self._touch(at)

    def confirm(
        self, *, actor: str, at: datetime, backorders: Sequence[Backorder] = ()
    ) -> StatusChange:
        """The saga's last step: ORDER_CONFIRMED (directly, or from QUOTE_ACCEPTED).
        The number is drawn by the repository in the same transaction."""
        if not self.prices_stored or self.reservation_id is None:
            raise ConfirmationNeedsPlacement(f"order {self.id} lacks prices or a reservation")
        if self.status is None:
            self.changes.append(OrderCreated(at))
            change = StatusChange(None, OrderStatus.ORDER_CONFIRMED, actor, "order placed", at)
            self.status = OrderStatus.ORDER_CONFIRMED
            self.changes.append(change)
        else:
            change = self._move(
                OrderStatus.ORDER_CONFIRMED, actor=actor, reason="quotation accepted", at=at
            )
        self.changes.append(OrderConfirmed(at))
        missing = tuple(b for b in backorders if b.quantity > 0)
        if missing:
            self.changes.append(BackorderNeeded(missing, at))
        self.placement = Placement.CONFIRMED
        self.confirmed_at = at
        self._touch(at)
        return change

    def ship(
        self,
        lines: Mapping[str, int] | None,
        *,
        shipment_id: uuid.UUID,
        actor: str,
        at: datetime,
        carrier: str = "",
        tracking_number: str = "",
    ) -> Shipment:
        """A (partial) shipment from READY_TO_SHIP; SHIPPED once everything has left."""
        if self.status != OrderStatus.READY_TO_SHIP:
            check_transition(self.status or OrderStatus.QUOTE_PENDING, OrderStatus.SHIPPED)
        if lines:
            wanted = dict(lines)
        else:  # everything not yet shipped
            wanted = {ln.sku: ln.remaining_to_ship for ln in self.lines if ln.remaining_to_ship}
        check_quantities(wanted, {ln.sku: ln.remaining_to_ship for ln in self.lines}, "ship")
        for sku, qty in wanted.items():
            line = self.line(sku)
            assert line is not None  # checked above
            line.shipped += qty
        shipment = Shipment(
            id=shipment_id,
            lines=wanted,
            status=ShipmentStatus.SHIPPED,
            shipped_at=at,
            carrier=carrier,
            tracking_number=tracking_number,
        )
        self.shipments.append(shipment)
        if self.fully_shipped:
            self._move(OrderStatus.SHIPPED, actor=actor, reason="everything shipped", at=at)
        self.changes.append(ShipmentCreated(shipment, at))
        self._touch(at)
        return shipment

    def deliver(
        self, shipment_id: uuid.UUID, *, actor: str, at: datetime, recorded_at: datetime
    ) -> tuple[Shipment, bool]:
        """Delivery of one shipment (delivered `at`, recorded at `recorded_at`);
        DELIVERED once everything is delivered. Returns (shipment, applied); a shipment
        delivered before is a no-op."""
        shipment = self.shipment(shipment_id)
        if shipment.status == ShipmentStatus.DELIVERED:
            return shipment, False
        for sku, qty in shipment.lines.items():
            line = self.line(sku)
            assert line is not None
            line.delivered += qty
        shipment.status = ShipmentStatus.DELIVERED
        shipment.delivered_at = at
        if self.fully_delivered and self.status == OrderStatus.SHIPPED:
            self._move(OrderStatus.DELIVERED, actor=actor, reason="everything delivered", at=at)
        self.changes.append(ShipmentDelivered(shipment, recorded_at))
        self._touch(at)
        return shipment, True

    def cancel(self, *, actor: str, reason: str, at: datetime) -> StatusChange | None:
        """Before SHIPPED only; cancelling a cancelled order is a no-op."""
        if self.status == OrderStatus.CANCELLED:
            return None
        if self.status not in CANCELLABLE:
            check_transition(self.status or OrderStatus.QUOTE_PENDING, OrderStatus.CANCELLED)
        change = self._move(OrderStatus.CANCELLED, actor=actor, reason=reason, at=at)
        self.changes.append(OrderCancelled(change))
        self._touch(at)
        return change

    def return_goods(
        self,
        lines: Mapping[str, int] | None,
        *,
        return_id: uuid.UUID,
        reason: str,
        actor: str,
        at: datetime,
    ) -> OrderReturn:
        """Goods that were shipped come back: RETURNED (terminal)."""
        if self.status not in RETURNABLE:
            check_transition(self.status or OrderStatus.QUOTE_PENDING, OrderStatus.RETURNED)
        wanted = (
            dict(lines) if lines else {ln.sku: ln.returnable for ln in self.lines if ln.returnable}
        )
        check_quantities(wanted, {ln.sku: ln.returnable for ln in self.lines}, "return")
        for sku, qty in wanted.items():
            line = self.line(sku)
            assert line is not None
            line.returned += qty
        order_return = OrderReturn(id=return_id, lines=wanted, reason=reason, created_at=at)
        self.returns.append(order_return)
        self._move(OrderStatus.RETURNED, actor=actor, reason=reason or "goods returned", at=at)
        self.changes.append(GoodsReturned(order_return))
        self._touch(at)
        return order_return

    def record_invoice(self, invoice_id: str, *, actor: str, at: datetime) -> bool:
        """invoice.created: remember the invoice; a DELIVERED order becomes INVOICED.
        False when it was applied already (a duplicate event)."""
        if self.invoice_id == invoice_id and self.status != OrderStatus.DELIVERED:
            return False
        self.invoice_id = invoice_id
        if self.status == OrderStatus.DELIVERED:
            self._move(OrderStatus.INVOICED, actor=actor, reason=f"invoice {invoice_id}", at=at)
        self._touch(at)
        return True

    def record_payment(
        self, *, invoice_id: str, total_paid: Decimal, fully_paid: bool, actor: str, at: datetime
    ) -> bool:
        """payment.received: keep the amount paid so far; fully paid → PAID.
        False when it changes nothing (a duplicate notification)."""
        amount = money(total_paid)
        changed = amount != self.amount_paid
        self.amount_paid = amount
        if fully_paid:
            if self.status == OrderStatus.DELIVERED:
                # The invoice event may not have arrived yet; the payment proves it exists.
                self.invoice_id = self.invoice_id or invoice_id
                self._move(OrderStatus.INVOICED, actor=actor, reason=f"invoice {invoice_id}", at=at)
            if self.status == OrderStatus.INVOICED:
                self._move(OrderStatus.PAID, actor=actor, reason="payment received", at=at)
                changed = True
        if changed:
            self._touch(at)
        return changed


def new_order(
    *,
    order_id: uuid.UUID,
    customer_id: uuid.UUID,
    source: OrderSource,
    lines: Mapping[str, int],
    locked: Mapping[str, LinePrice],
    at: datetime,
    allow_backorder: bool = False,
    notes: str = "",
    shipping_address: dict[str, str] | None = None,
    quotation_id: str | None = None,
) -> Order:
    """An order about to be placed (placement PENDING, no status: invisible yet)."""
    return Order(
        id=order_id,
        customer_id=customer_id,
        source=source,
        lines=new_lines(lines, locked),
        created_at=at,
        updated_at=at,
        placement=Placement.PENDING,
        allow_backorder=allow_backorder,
        notes=notes,
        shipping_address=shipping_address,
        quotation_id=quotation_id,
    )


def new_quote_request(
    *,
    order_id: uuid.UUID,
    customer_id: uuid.UUID,
    lines: Mapping[str, int],
    number: str,
    actor: str,
    at: datetime,
    notes: str = "",
    shipping_address: dict[str, str] | None = None,
) -> Order:
    """A customer's quote request: visible at once in QUOTE_PENDING."""
    order = Order(
        id=order_id,
        customer_id=customer_id,
        source=OrderSource.QUOTE_REQUEST,
        lines=[OrderLine(sku=sku, quantity=qty) for sku, qty in lines.items()],
        created_at=at,
        updated_at=at,
        status=OrderStatus.QUOTE_PENDING,
        number=number,
        notes=notes,
        shipping_address=shipping_address,
    )
    order.changes += [
        OrderCreated(at),
        QuoteRequested(at),
        StatusChange(None, OrderStatus.QUOTE_PENDING, actor, "quote requested", at),
    ]
    return order
