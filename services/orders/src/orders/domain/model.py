"""The order aggregate: lines with per-line shipped/delivered/returned quantities,
shipments, returns, prices, and every status change it makes (history + events).

Each method checks the rules, mutates the aggregate, bumps its version once, and
records the status changes in `pending_changes` for the service to persist as history
rows and `order.status_changed` events in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from orders.domain.status import CANCELLABLE, RETURNABLE, OrderStatus, check_transition
from orders.errors import ConfirmationNeedsPlacement, InvalidQuantity, ShipmentNotFound

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal) -> Decimal:
    """Half-up to 2 places (the documented rounding point for totals)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class OrderSource(StrEnum):
    DIRECT = "DIRECT"
    QUOTE_REQUEST = "QUOTE_REQUEST"
    QUOTATION = "QUOTATION"


class Placement(StrEnum):
    """State of the placement saga, kept on the order row (the saga log has the steps).

    An order whose placement is PENDING, COMPENSATING, REJECTED or FAILED and that has
    no status is invisible to clients: it never existed for them.
    """

    PENDING = "PENDING"
    COMPENSATING = "COMPENSATING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"  # a business refusal (insufficient stock, unknown sku): replayed
    FAILED = "FAILED"  # an infrastructure failure, compensated: a retry may place again


class ShipmentStatus(StrEnum):
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"


@dataclass(frozen=True)
class LinePrice:
    """A priced line as pricing (or a quotation) fixed it. `fields` is the PricedLine as
    JSON (decimal strings), kept verbatim so documents show exactly what was quoted."""

    fields: Mapping[str, Any]

    def _amount(self, key: str) -> Decimal:
        value = self.fields.get(key) or {}
        return Decimal(str(value.get("amount") or "0"))

    @property
    def line_net(self) -> Decimal:
        return self._amount("line_net")

    @property
    def line_vat(self) -> Decimal:
        return self._amount("line_vat")

    @property
    def line_gross(self) -> Decimal:
        return self._amount("line_gross")

    @property
    def currency(self) -> str:
        return str(self.fields.get("currency") or "RON")


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass
class OrderLine:
    sku: str
    quantity: int
    shipped: int = 0
    delivered: int = 0
    returned: int = 0
    backordered: int = 0
    price: LinePrice | None = None
    price_locked: bool = False

    @property
    def remaining_to_ship(self) -> int:
        return self.quantity - self.shipped

    @property
    def returnable(self) -> int:
        return self.shipped - self.returned


@dataclass
class Shipment:
    id: uuid.UUID
    lines: dict[str, int]
    status: ShipmentStatus
    shipped_at: datetime
    carrier: str = ""
    tracking_number: str = ""
    delivered_at: datetime | None = None


@dataclass
class OrderReturn:
    id: uuid.UUID
    lines: dict[str, int]
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class StatusChange:
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: str
    reason: str
    changed_at: datetime


@dataclass(frozen=True)
class Backorder:
    sku: str
    quantity: int
    expected_date: str


def parse_lines(raw: Sequence[tuple[str, int]], *, field_name: str = "lines") -> dict[str, int]:
    """Merge (sku, quantity) pairs; every quantity must be a positive whole number."""
    merged: dict[str, int] = {}
    for index, (sku, quantity) in enumerate(raw):
        if not sku.strip():
            raise InvalidQuantity(
                "sku is required", details={"fields": {f"{field_name}[{index}].sku": "required"}}
            )
        if quantity < 1:
            raise InvalidQuantity(
                f"quantity of {sku} must be at least 1",
                details={"fields": {f"{field_name}[{index}].quantity": "must be >= 1"}, "sku": sku},
            )
        merged[sku.strip()] = merged.get(sku.strip(), 0) + quantity
    return merged


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
    pending_changes: list[StatusChange] = field(default_factory=list)

    # -- reading ---------------------------------------------------------------------
    @property
    def visible(self) -> bool:
        """Clients see an order once it has a status (confirmed, or a quote request)."""
        return self.status is not None

    def line(self, sku: str) -> OrderLine | None:
        return next((ln for ln in self.lines if ln.sku == sku), None)

    @property
    def prices_stored(self) -> bool:
        return bool(self.lines) and all(ln.price is not None for ln in self.lines)

    def totals(self) -> Totals:
        priced = [ln.price for ln in self.lines if ln.price is not None]
        return Totals(
            net=money(sum((p.line_net for p in priced), ZERO)),
            vat=money(sum((p.line_vat for p in priced), ZERO)),
            gross=money(sum((p.line_gross for p in priced), ZERO)),
        )

    @property
    def fully_shipped(self) -> bool:
        return all(ln.shipped >= ln.quantity for ln in self.lines)

    @property
    def fully_delivered(self) -> bool:
        return all(ln.delivered >= ln.quantity for ln in self.lines)

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
        self.pending_changes.append(change)
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

    def confirm(self, *, number: str | None, actor: str, at: datetime) -> StatusChange:
        """The saga's last step: ORDER_CONFIRMED (directly, or from QUOTE_ACCEPTED)."""
        if not self.prices_stored or self.reservation_id is None:
            raise ConfirmationNeedsPlacement(f"order {self.id} lacks prices or a reservation")
        if self.status is None:
            change = StatusChange(None, OrderStatus.ORDER_CONFIRMED, actor, "order placed", at)
            self.status = OrderStatus.ORDER_CONFIRMED
            self.pending_changes.append(change)
        else:
            change = self._move(
                OrderStatus.ORDER_CONFIRMED, actor=actor, reason="quotation accepted", at=at
            )
        if self.number is None:
            self.number = number
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
        self._check_quantities(wanted, {ln.sku: ln.remaining_to_ship for ln in self.lines}, "ship")
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
        self._touch(at)
        return shipment

    def deliver(self, shipment_id: uuid.UUID, *, actor: str, at: datetime) -> tuple[Shipment, bool]:
        """Delivery of one shipment; DELIVERED once everything is delivered.
        Returns (shipment, applied); a shipment delivered before is a no-op."""
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
        self._touch(at)
        return shipment, True

    def cancel(self, *, actor: str, reason: str, at: datetime) -> StatusChange | None:
        """Before SHIPPED only; cancelling a cancelled order is a no-op."""
        if self.status == OrderStatus.CANCELLED:
            return None
        if self.status not in CANCELLABLE:
            check_transition(self.status or OrderStatus.QUOTE_PENDING, OrderStatus.CANCELLED)
        change = self._move(OrderStatus.CANCELLED, actor=actor, reason=reason, at=at)
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
        self._check_quantities(wanted, {ln.sku: ln.returnable for ln in self.lines}, "return")
        for sku, qty in wanted.items():
            line = self.line(sku)
            assert line is not None
            line.returned += qty
        order_return = OrderReturn(id=return_id, lines=wanted, reason=reason, created_at=at)
        self.returns.append(order_return)
        self._move(OrderStatus.RETURNED, actor=actor, reason=reason or "goods returned", at=at)
        self._touch(at)
        return order_return

    def record_invoice(self, invoice_id: str, *, actor: str, at: datetime) -> None:
        """invoice.created: remember the invoice; a DELIVERED order becomes INVOICED."""
        self.invoice_id = invoice_id
        if self.status == OrderStatus.DELIVERED:
            self._move(OrderStatus.INVOICED, actor=actor, reason=f"invoice {invoice_id}", at=at)
        self._touch(at)

    def record_payment(
        self, *, invoice_id: str, total_paid: Decimal, fully_paid: bool, actor: str, at: datetime
    ) -> bool:
        """payment.received: keep the amount; fully paid → PAID. True when it became PAID."""
        self.amount_paid = money(total_paid)
        became_paid = False
        if fully_paid:
            if self.status == OrderStatus.DELIVERED:
                # The invoice event may not have arrived yet; the payment proves it exists.
                self.invoice_id = self.invoice_id or invoice_id
                self._move(OrderStatus.INVOICED, actor=actor, reason=f"invoice {invoice_id}", at=at)
            if self.status == OrderStatus.INVOICED:
                self._move(OrderStatus.PAID, actor=actor, reason="payment received", at=at)
                became_paid = True
        self._touch(at)
        return became_paid

    def _check_quantities(
        self, wanted: Mapping[str, int], limits: Mapping[str, int], verb: str
    ) -> None:
        fields: dict[str, str] = {}
        for sku, qty in wanted.items():
            if sku not in limits:
                fields[sku] = "not a line of this order"
            elif qty < 1:
                fields[sku] = "quantity must be >= 1"
            elif qty > limits[sku]:
                fields[sku] = f"cannot {verb} {qty}, at most {limits[sku]}"
        if fields:
            raise InvalidQuantity(f"invalid quantities to {verb}", details={"fields": fields})
        if not wanted:
            raise InvalidQuantity(f"nothing left to {verb}", details={"fields": {"lines": "empty"}})


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
        lines=[
            OrderLine(sku=sku, quantity=qty, price=locked.get(sku), price_locked=sku in locked)
            for sku, qty in lines.items()
        ],
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
    order.pending_changes.append(
        StatusChange(None, OrderStatus.QUOTE_PENDING, actor, "quote requested", at)
    )
    return order
