"""The events orders publishes, built from what an aggregate recorded (`order.changes`,
`customer.changes`), with the aggregate id and version set. A use case never assembles
a message: it calls `uow.publish(*events.published(order))`, which takes the recorded
changes (the repository stored their history rows first)."""

from __future__ import annotations

from google.protobuf.message import Message

from cypher.orders.v1 import events_pb2
from cypher_runtime.messaging.envelope import Event
from cypher_runtime.proto_values import money_pb, optional_timestamp_pb, timestamp_pb
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
from orders.domain.customer import Customer
from orders.domain.order import Order
from orders.wire import (
    customer_to_proto,
    lines_to_proto,
    order_lines_to_proto,
    order_to_proto,
    status_to_proto,
    totals_to_proto,
)

ORDER = "order"
CUSTOMER = "customer"


def published(order: Order, *, customer: Customer | None = None) -> list[Event]:
    """The events of the order's recorded changes, in the order they happened; the
    changes are taken (cleared). `customer` is the snapshot a delivery carries."""
    messages = [_message(order, change, customer) for change in order.changes]
    order.changes.clear()
    return [
        Event(message=m, aggregate_type=ORDER, aggregate_id=str(order.id), version=order.version)
        for m in messages
    ]


def customer_published(customer: Customer) -> list[Event]:
    """`customer.upserted` for each recorded change of the customer (taken)."""
    events = [
        Event(
            message=events_pb2.CustomerUpserted(
                customer_id=str(customer.id),
                name=customer.name,
                email=customer.email,
                company=customer.company,
                vat_code=customer.vat_code,
                version=customer.version,
                occurred_at=timestamp_pb(change.at),
            ),
            aggregate_type=CUSTOMER,
            aggregate_id=str(customer.id),
            version=customer.version,
        )
        for change in customer.changes
    ]
    customer.changes.clear()
    return events


def _message(order: Order, change: OrderChange, customer: Customer | None) -> Message:
    o = order
    match change:
        case StatusChange():
            return events_pb2.OrderStatusChanged(
                order_id=str(o.id),
                number=o.number or "",
                customer_id=str(o.customer_id),
                from_status=status_to_proto(change.from_status),
                to_status=status_to_proto(change.to_status),
                reason=change.reason,
                actor=change.actor,
                quotation_id=o.quotation_id or "",
                version=o.version,
                occurred_at=timestamp_pb(change.changed_at),
            )
        case OrderCreated(at=at):
            return events_pb2.OrderCreated(
                order=order_to_proto(o), version=o.version, occurred_at=timestamp_pb(at)
            )
        case OrderConfirmed(at=at):
            return events_pb2.OrderConfirmed(
                order_id=str(o.id),
                number=o.number or "",
                customer_id=str(o.customer_id),
                net_total=money_pb(o.totals().net, o.currency),
                totals=totals_to_proto(o),
                lines=order_lines_to_proto(o),
                quotation_id=o.quotation_id or "",
                confirmed_at=optional_timestamp_pb(o.confirmed_at),
                version=o.version,
                occurred_at=timestamp_pb(at),
            )
        case QuoteRequested(at=at):
            return events_pb2.OrderQuoteRequested(
                order_id=str(o.id),
                number=o.number or "",
                customer_id=str(o.customer_id),
                lines=lines_to_proto({ln.sku: ln.quantity for ln in o.lines}),
                notes=o.notes,
                version=o.version,
                occurred_at=timestamp_pb(at),
            )
        case BackorderNeeded(backorders=backorders, at=at):
            return events_pb2.OrderBackorderNeeded(
                order_id=str(o.id),
                number=o.number or "",
                lines=[
                    events_pb2.OrderBackorderNeeded.BackorderLine(
                        sku=b.sku, quantity=b.quantity, expected_date=b.expected_date
                    )
                    for b in backorders
                ],
                version=o.version,
                occurred_at=timestamp_pb(at),
            )
        case ShipmentCreated(shipment=shipment, at=at):
            return events_pb2.OrderShipped(
                order_id=str(o.id),
                shipment_id=str(shipment.id),
                lines=lines_to_proto(shipment.lines),
                fully_shipped=o.fully_shipped,
                version=o.version,
                occurred_at=timestamp_pb(at),
            )
        case ShipmentDelivered(shipment=shipment, at=at):
            delivered_at = shipment.delivered_at or at
            return events_pb2.OrderDelivered(
                order_id=str(o.id),
                shipment_id=str(shipment.id),
                lines=lines_to_proto(shipment.lines),
                fully_delivered=o.fully_delivered,
                delivery_date=delivered_at.date().isoformat(),
                order=order_to_proto(o),
                customer=customer_to_proto(customer) if customer is not None else None,
                version=o.version,
                occurred_at=timestamp_pb(at),
            )
        case OrderCancelled(change=cancel):
            return events_pb2.OrderCancelled(
                order_id=str(o.id),
                customer_id=str(o.customer_id),
                lines=lines_to_proto({ln.sku: ln.quantity for ln in o.lines}),
                reason=cancel.reason,
                previous_status=status_to_proto(cancel.from_status),
                net_total=money_pb(o.totals().net, o.currency),
                confirmed_at=optional_timestamp_pb(o.confirmed_at),
                version=o.version,
                occurred_at=timestamp_pb(cancel.changed_at),
            )
        case GoodsReturned(order_return=ret):
            return events_pb2.OrderReturned(
                order_id=str(o.id),
                return_id=str(ret.id),
                customer_id=str(o.customer_id),
                lines=lines_to_proto(ret.lines),
                reason=ret.reason,
                version=o.version,
                occurred_at=timestamp_pb(ret.created_at),
            )
        case OrderPaid(at=at):
            return events_pb2.OrderPaid(
                order_id=str(o.id),
                customer_id=str(o.customer_id),
                invoice_id=o.invoice_id or "",
                amount_paid=money_pb(o.amount_paid, o.currency),
                paid_at=timestamp_pb(at),
                version=o.version,
                occurred_at=timestamp_pb(at),
            )
