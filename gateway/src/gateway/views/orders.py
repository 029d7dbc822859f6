"""Orders (orders service) with their reservations (inventory) and invoices (integration)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cypher.inventory.v1 import inventory_pb2
from cypher.orders.v1 import orders_pb2
from gateway.convert import time_of
from gateway.inputs.orders import StatusName
from gateway.views.catalog import PricedLine, priced_line_view
from gateway.views.common import (
    Address,
    Decimal,
    LineQuantity,
    Out,
    Time,
    Totals,
    address_of,
    lines_of,
    totals_of,
)
from gateway.views.invoices import InvoiceSummary, OrderPayment

RESERVATION_STATUS = {
    v: k.removeprefix("RESERVATION_STATUS_") for k, v in inventory_pb2.ReservationStatus.items()
}


def status_name(value: int) -> StatusName | None:
    name = orders_pb2.OrderStatus.Name(value)  # type: ignore[arg-type]
    if name == "ORDER_STATUS_UNSPECIFIED":
        return None
    return name.removeprefix("ORDER_STATUS_")  # type: ignore[return-value]


class Shipment(Out):
    id: str
    lines: list[LineQuantity]
    status: str
    carrier: str | None
    tracking_number: str | None
    shipped_at: Time | None
    delivered_at: Time | None


class OrderLine(Out):
    sku: str
    quantity: int
    shipped_quantity: int
    delivered_quantity: int
    returned_quantity: int
    backordered_quantity: int
    price: PricedLine | None
    price_locked: bool


class OrderReturn(Out):
    id: str
    lines: list[LineQuantity]
    reason: str
    created_at: Time | None


class Order(Out):
    id: str
    number: str | None
    customer_id: str
    status: StatusName | None
    source: str
    quotation_id: str | None
    lines: list[OrderLine]
    totals: Totals
    currency: str
    allow_backorder: bool
    notes: str | None
    shipping_address: Address | None
    shipments: list[Shipment]
    returns: list[OrderReturn]
    reservation_id: str | None
    pricing_date: str | None
    version: int
    created_at: Time | None
    updated_at: Time | None
    confirmed_at: Time | None
    invoice_id: str | None
    amount_paid: Decimal | None


class Allocation(Out):
    sku: str
    warehouse: str
    quantity: int
    committed_quantity: int


class Backorder(Out):
    sku: str
    quantity: int
    expected_date: str | None


class Reservation(Out):
    id: str
    status: str | None
    allocations: list[Allocation]
    backorders: list[Backorder]
    expires_at: Time | None


class StatusChangeEntry(Out):
    from_: StatusName | None = Field(alias="from")
    to: StatusName | None
    actor: str
    reason: str | None
    changed_at: Time | None


class PlacedOrder(Order):
    """A new order with its reservation; null when inventory does not answer."""

    reservations: list[Reservation] | None


class OrderDetail(Order):
    """GET /orders/{id}: the order, its history, its reservation, its SmartBill documents
    (invoice, proforma, credit notes) and the payment state of its invoice; an optional
    part is null when its service does not answer (see `metadata.degraded`). `payment`
    is also null while the order has no invoice (then it is not degraded)."""

    history: list[StatusChangeEntry]
    reservations: list[Reservation] | None
    invoices: list[InvoiceSummary] | None
    payment: OrderPayment | None


class ShipmentResult(Out):
    order: Order
    shipment: Shipment


def shipment_view(s: orders_pb2.Shipment) -> Shipment:
    return Shipment(
        id=s.id,
        lines=lines_of(s.lines),
        status=orders_pb2.ShipmentStatus.Name(s.status).removeprefix("SHIPMENT_STATUS_"),
        carrier=s.carrier or None,
        tracking_number=s.tracking_number or None,
        shipped_at=time_of(s, "shipped_at"),
        delivered_at=time_of(s, "delivered_at"),
    )


def order_fields(o: orders_pb2.Order) -> dict[str, Any]:
    return {
        "id": o.id,
        "number": o.number or None,
        "customer_id": o.customer_id,
        "status": status_name(o.status),
        "source": orders_pb2.OrderSource.Name(o.source).removeprefix("ORDER_SOURCE_"),
        "quotation_id": o.quotation_id or None,
        "lines": [
            OrderLine(
                sku=ln.sku,
                quantity=ln.quantity,
                shipped_quantity=ln.shipped_quantity,
                delivered_quantity=ln.delivered_quantity,
                returned_quantity=ln.returned_quantity,
                backordered_quantity=ln.backordered_quantity,
                price=priced_line_view(ln.price) if ln.HasField("price") else None,
                price_locked=ln.price_locked,
            )
            for ln in o.lines
        ],
        "totals": totals_of(o.totals),
        "currency": o.currency,
        "allow_backorder": o.allow_backorder,
        "notes": o.notes or None,
        "shipping_address": address_of(o, "shipping_address"),
        "shipments": [shipment_view(s) for s in o.shipments],
        "returns": [
            OrderReturn(
                id=r.id,
                lines=lines_of(r.lines),
                reason=r.reason,
                created_at=time_of(r, "created_at"),
            )
            for r in o.returns
        ],
        "reservation_id": o.reservation_id or None,
        "pricing_date": o.pricing_date or None,
        "version": o.version,
        "created_at": time_of(o, "created_at"),
        "updated_at": time_of(o, "updated_at"),
        "confirmed_at": time_of(o, "confirmed_at"),
        "invoice_id": o.invoice_id or None,
        "amount_paid": o.amount_paid.amount or None,
    }


def order_view(o: orders_pb2.Order) -> Order:
    return Order.model_validate(order_fields(o))


def history_view(h: orders_pb2.StatusChange) -> StatusChangeEntry:
    return StatusChangeEntry(
        from_=status_name(h.from_status),
        to=status_name(h.to_status),
        actor=h.actor,
        reason=h.reason or None,
        changed_at=time_of(h, "changed_at"),
    )


def reservation_view(r: inventory_pb2.Reservation) -> Reservation:
    return Reservation(
        id=r.id,
        status=RESERVATION_STATUS.get(r.status),
        allocations=[
            Allocation(
                sku=a.sku,
                warehouse=a.warehouse,
                quantity=a.quantity,
                committed_quantity=a.committed_quantity,
            )
            for a in r.allocations
        ],
        backorders=[
            Backorder(sku=b.sku, quantity=b.quantity, expected_date=b.expected_date or None)
            for b in r.backorders
        ],
        expires_at=time_of(r, "expires_at"),
    )
