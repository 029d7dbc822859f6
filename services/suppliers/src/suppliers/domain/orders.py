"""Supplier orders: DRAFT -> PLACED -> CONFIRMED -> SHIPPED -> RECEIVED, or CANCELLED
before RECEIVED; goods may arrive in several receipts per line. The aggregate records
what happened (`changes`) for the events module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from suppliers.errors import IllegalTransition, ValidationFailed, VersionConflict

MAX_LINES = 200
MAX_QUANTITY = 1_000_000


class OrderStatus(StrEnum):
    DRAFT = "DRAFT"
    PLACED = "PLACED"
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    RECEIVED = "RECEIVED"
    CANCELLED = "CANCELLED"


S = OrderStatus
ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.DRAFT: frozenset({S.PLACED, S.CANCELLED}),
    S.PLACED: frozenset({S.CONFIRMED, S.SHIPPED, S.RECEIVED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.SHIPPED, S.RECEIVED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.RECEIVED, S.CANCELLED}),
    S.RECEIVED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Goods can be booked in as soon as the order is with the supplier.
RECEIVABLE = frozenset({S.PLACED, S.CONFIRMED, S.SHIPPED})


@dataclass
class OrderLine:
    sku: str
    supplier_sku: str
    quantity: int
    unit_price: Decimal
    warehouse: str = "A"
    received_quantity: int = 0

    @property
    def outstanding(self) -> int:
        return self.quantity - self.received_quantity


@dataclass(frozen=True)
class Receipt:
    sku: str
    warehouse: str
    quantity: int


@dataclass(frozen=True)
class Placed:
    at: datetime


@dataclass(frozen=True)
class Received:
    lines: tuple[Receipt, ...]
    at: datetime


@dataclass(frozen=True)
class StatusChanged:
    before: OrderStatus
    after: OrderStatus
    reason: str
    at: datetime


Change = Placed | Received | StatusChanged


@dataclass
class SupplierOrder:
    id: str
    supplier_id: str
    status: OrderStatus
    lines: list[OrderLine]
    currency: str
    order_id: str
    expected_date: date | None
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime
    received_at: datetime | None = None
    changes: list[Change] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))

    def _check_version(self, expected: int) -> None:
        if expected and expected != self.version:
            raise VersionConflict(
                f"supplier order {self.id} is at version {self.version}",
                details={"expected": expected, "actual": self.version},
            )

    def _move(self, to: OrderStatus, reason: str, at: datetime) -> None:
        allowed = ALLOWED[self.status]
        if to not in allowed:
            raise IllegalTransition(
                f"a {self.status.value} supplier order cannot become {to.value}",
                details={
                    "from": self.status.value,
                    "to": to.value,
                    "allowed": sorted(s.value for s in allowed),
                },
            )
        before, self.status = self.status, to
        self.changes.append(StatusChanged(before, to, reason, at))
        if to is S.PLACED:
            self.changes.append(Placed(at))
        self.version += 1
        self.updated_at = at

    def change_status(
        self,
        to: OrderStatus,
        at: datetime,
        *,
        reason: str = "",
        received: list[Receipt] | None = None,
        expected_version: int = 0,
    ) -> None:
        self._check_version(expected_version)
        if to is S.RECEIVED:
            # RECEIVED books what is given, or everything still outstanding.
            self.receive(received or self._outstanding(), at)
            if self.status is not S.RECEIVED:
                raise ValidationFailed(
                    {"received_lines": "leave lines outstanding; use a partial receipt"}
                )
            return
        if to is self.status:
            return  # repeating the current status changes nothing
        self._move(to, reason, at)

    def _outstanding(self) -> list[Receipt]:
        return [
            Receipt(ln.sku, ln.warehouse, ln.outstanding) for ln in self.lines if ln.outstanding
        ]

    def receive(self, receipts: list[Receipt], at: datetime, *, expected_version: int = 0) -> None:
        """Book goods that arrived; RECEIVED once every line is complete."""
        self._check_version(expected_version)
        if self.status not in RECEIVABLE:
            raise IllegalTransition(
                f"a {self.status.value} supplier order cannot receive goods",
                details={
                    "from": self.status.value,
                    "to": S.RECEIVED.value,
                    "allowed": sorted(s.value for s in ALLOWED[self.status]),
                },
            )
        if not receipts:
            raise ValidationFailed({"lines": "at least one line is required"})
        errors: dict[str, str] = {}
        booked: list[Receipt] = []
        pending = {id(ln): ln.outstanding for ln in self.lines}
        for i, r in enumerate(receipts):
            line = next((ln for ln in self.lines if ln.sku == r.sku and pending[id(ln)]), None)
            if r.quantity <= 0:
                errors[f"lines[{i}].quantity"] = "must be positive"
            elif line is None:
                errors[f"lines[{i}].sku"] = f"{r.sku!r} has nothing outstanding on this order"
            elif r.quantity > pending[id(line)]:
                errors[f"lines[{i}].quantity"] = f"only {pending[id(line)]} outstanding"
            else:
                pending[id(line)] -= r.quantity
                booked.append(Receipt(r.sku, r.warehouse.strip() or line.warehouse, r.quantity))
        if errors:
            raise ValidationFailed(errors)
        for line in self.lines:
            line.received_quantity = line.quantity - pending[id(line)]
        self.changes.append(Received(tuple(booked), at))
        self.version += 1
        self.updated_at = at
        if all(ln.outstanding == 0 for ln in self.lines):
            before, self.status = self.status, S.RECEIVED
            self.received_at = at
            self.changes.append(StatusChanged(before, S.RECEIVED, "all goods received", at))


def new_order(
    order_id: str,
    supplier_id: str,
    currency: str,
    lines: list[OrderLine],
    at: datetime,
    *,
    draft: bool,
    customer_order_id: str = "",
    expected_date: date | None = None,
    notes: str = "",
) -> SupplierOrder:
    errors: dict[str, str] = {}
    if not lines:
        errors["lines"] = "at least one line is required"
    if len(lines) > MAX_LINES:
        errors["lines"] = f"at most {MAX_LINES} lines"
    for i, line in enumerate(lines):
        if not line.sku.strip() or len(line.sku) > 64:
            errors[f"lines[{i}].sku"] = "must be 1 to 64 characters"
        if not 1 <= line.quantity <= MAX_QUANTITY:
            errors[f"lines[{i}].quantity"] = f"must be between 1 and {MAX_QUANTITY}"
        if line.unit_price < 0:
            errors[f"lines[{i}].unit_price"] = "must not be negative"
        if len(line.warehouse) > 10:
            errors[f"lines[{i}].warehouse"] = "at most 10 characters"
    if len(notes) > 2000:
        errors["notes"] = "at most 2000 characters"
    if errors:
        raise ValidationFailed(errors)
    for line in lines:
        line.warehouse = line.warehouse.strip() or "A"
        line.received_quantity = 0
    order = SupplierOrder(
        id=order_id,
        supplier_id=supplier_id,
        status=S.DRAFT,
        lines=lines,
        currency=currency,
        order_id=customer_order_id,
        expected_date=expected_date,
        notes=notes,
        version=1,
        created_at=at,
        updated_at=at,
    )
    if not draft:
        order._move(S.PLACED, "created", at)
    return order
