"""What an order is made of: lines with their per-line shipped / delivered / returned
quantities, shipments, returns, and the backorders inventory could not supply."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from orders.domain.prices import LinePrice
from orders.errors import InvalidQuantity


class ShipmentStatus(StrEnum):
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"


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
                "sku is required", fields={f"{field_name}[{index}].sku": "required"}
            )
        if quantity < 1:
            raise InvalidQuantity(
                f"quantity of {sku} must be at least 1",
                fields={f"{field_name}[{index}].quantity": "must be >= 1"},
                sku=sku,
            )
        merged[sku.strip()] = merged.get(sku.strip(), 0) + quantity
    return merged


def new_lines(lines: Mapping[str, int], locked: Mapping[str, LinePrice]) -> list[OrderLine]:
    """The lines of an order to place; a line with a locked price keeps it."""
    return [
        OrderLine(sku=sku, quantity=qty, price=locked.get(sku), price_locked=sku in locked)
        for sku, qty in lines.items()
    ]


def check_quantities(wanted: Mapping[str, int], limits: Mapping[str, int], verb: str) -> None:
    """Quantities to ship or return, each within its line's limit."""
    fields: dict[str, str] = {}
    for sku, qty in wanted.items():
        if sku not in limits:
            fields[sku] = "not a line of this order"
        elif qty < 1:
            fields[sku] = "quantity must be >= 1"
        elif qty > limits[sku]:
            fields[sku] = f"cannot {verb} {qty}, at most {limits[sku]}"
    if fields:
        raise InvalidQuantity(f"invalid quantities to {verb}", fields=fields)
    if not wanted:
        raise InvalidQuantity(f"nothing left to {verb}", fields={"lines": "empty"})
