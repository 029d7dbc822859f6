"""Conversions of the events pricing consumes into what its use cases take. Lenient on
purpose: a producer's unusable value is skipped (and logged by the caller) rather than
retried forever."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from google.protobuf.timestamp_pb2 import Timestamp

from cypher.orders.v1 import events_pb2 as orders_events
from cypher.suppliers.v1 import events_pb2 as suppliers_events
from cypher_runtime.proto_values import datetime_from_pb


def _amount(text: str) -> Decimal | None:
    """Lenient: a producer's bad amount is logged and skipped by the caller, not retried."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def canonical_customer(text: str) -> str:
    """The canonical UUID text, as the gRPC side stores it (orders' ids are UUIDs)."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text


def _first_time(*candidates: Timestamp) -> datetime | None:
    for stamp in candidates:
        if stamp.seconds or stamp.nanos:
            return datetime_from_pb(stamp)
    return None


@dataclass(frozen=True, slots=True)
class SupplierPrice:
    supplier_id: str
    sku: str
    price: Decimal
    currency: str
    detail: str


def supplier_price(msg: suppliers_events.SupplierPriceChanged) -> SupplierPrice | None:
    """None when the price is unusable (not a non-negative number)."""
    price = _amount(msg.new_price.amount)
    if price is None or price < 0:
        return None
    return SupplierPrice(
        supplier_id=msg.supplier_id,
        sku=msg.sku,
        price=price,
        currency=msg.new_price.currency,
        detail=f"supplier {msg.supplier_id} item {msg.supplier_sku} changed {msg.change_pct}%",
    )


@dataclass(frozen=True, slots=True)
class OrderSpend:
    order_id: str
    customer_id: str
    net_total: Decimal
    currency: str
    confirmed_at: datetime | None


def confirmed_spend(msg: orders_events.OrderConfirmed) -> OrderSpend:
    net = _amount(msg.net_total.amount) or _amount(msg.totals.net.amount) or Decimal(0)
    return OrderSpend(
        order_id=msg.order_id,
        customer_id=canonical_customer(msg.customer_id),
        net_total=net,
        currency=msg.net_total.currency,
        confirmed_at=_first_time(msg.confirmed_at, msg.occurred_at),
    )


def cancelled_spend(msg: orders_events.OrderCancelled) -> OrderSpend:
    return OrderSpend(
        order_id=msg.order_id,
        customer_id=canonical_customer(msg.customer_id),
        net_total=_amount(msg.net_total.amount) or Decimal(0),
        currency=msg.net_total.currency,
        confirmed_at=None,
    )


@dataclass(frozen=True, slots=True)
class KnownCustomer:
    customer_id: str
    version: int


def known_customer(msg: orders_events.CustomerUpserted) -> KnownCustomer:
    return KnownCustomer(canonical_customer(msg.customer_id), msg.version)
