"""What an order is made of: lines with their per-line shipped / delivered / returned
quantities, shipments, returns, and the backorders inventory could not supply."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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
