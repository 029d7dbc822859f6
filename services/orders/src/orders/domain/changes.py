"""What an aggregate records when it changes (`order.changes`, `customer.changes`):
plain facts, persisted as history rows and turned into published events by
`orders.events` in the same transaction as the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orders.domain.lines import Backorder, OrderReturn, Shipment
from orders.domain.status import OrderStatus


@dataclass(frozen=True)
class StatusChange:
    """One status transition: a history row and an `order.status_changed` event."""

    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: str
    reason: str
    changed_at: datetime


@dataclass(frozen=True)
class OrderCreated:
    """The order became visible (confirmed by placement, or a quote request)."""

    at: datetime


@dataclass(frozen=True)
class OrderConfirmed:
    at: datetime


@dataclass(frozen=True)
class QuoteRequested:
    at: datetime


@dataclass(frozen=True)
class BackorderNeeded:
    backorders: tuple[Backorder, ...]
    at: datetime


@dataclass(frozen=True)
class ShipmentCreated:
    shipment: Shipment
    at: datetime


@dataclass(frozen=True)
class ShipmentDelivered:
    shipment: Shipment
    at: datetime


@dataclass(frozen=True)
class OrderCancelled:
    change: StatusChange


@dataclass(frozen=True)
class GoodsReturned:
    order_return: OrderReturn


@dataclass(frozen=True)
class OrderPaid:
    at: datetime


OrderChange = (
    StatusChange
    | OrderCreated
    | OrderConfirmed
    | QuoteRequested
    | BackorderNeeded
    | ShipmentCreated
    | ShipmentDelivered
    | OrderCancelled
    | GoodsReturned
    | OrderPaid
)


@dataclass(frozen=True)
class CustomerUpserted:
    """A customer was created or its billing data changed."""

    at: datetime
