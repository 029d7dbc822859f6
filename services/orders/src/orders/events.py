"""The events orders publishes, built from the aggregate (written to the outbox by the
unit of work in the same transaction as the change). Each carries the order version."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from google.protobuf.message import Message

from cypher.orders.v1 import events_pb2
from cypher_runtime.messaging.envelope import Event
from orders.domain.customer import Customer
from orders.domain.model import Backorder, Order, OrderReturn, Shipment, StatusChange
from orders.proto_mapping import (
    customer_to_proto,
    lines_to_proto,
    money,
    order_lines_to_proto,
    order_to_proto,
    status_to_proto,
    totals_to_proto,
    ts,
)

AGGREGATE = "order"


def _event(order: Order, message: Message) -> Event:
    return Event(
        message=message, aggregate_type=AGGREGATE, aggregate_id=str(order.id), version=order.version
    )


def created(order: Order, at: datetime) -> Event:
    return _event(
        order,
        events_pb2.OrderCreated(
            order=order_to_proto(order), version=order.version, occurred_at=ts(at)
        ),
    )


def confirmed(order: Order, at: datetime) -> Event:
    return _event(
        order,
        events_pb2.OrderConfirmed(
            order_id=str(order.id),
            number=order.number or "",
            customer_id=str(order.customer_id),
            net_total=money(order.totals().net, order.currency),
            totals=totals_to_proto(order),
            lines=order_lines_to_proto(order),
            quotation_id=order.quotation_id or "",
            confirmed_at=ts(order.confirmed_at),
            version=order.version,
            occurred_at=ts(at),
        ),
    )


def status_changed(order: Order, change: StatusChange) -> Event:
    return _event(
        order,
        events_pb2.OrderStatusChanged(
            order_id=str(order.id),
            number=order.number or "",
            customer_id=str(order.customer_id),
            from_status=status_to_proto(change.from_status),
            to_status=status_to_proto(change.to_status),
            reason=change.reason,
            actor=change.actor,
            quotation_id=order.quotation_id or "",
            version=order.version,
            occurred_at=ts(change.changed_at),
        ),
    )


def status_events(order: Order, changes: Sequence[StatusChange]) -> list[Event]:
    return [status_changed(order, c) for c in changes]


def shipped(order: Order, shipment: Shipment, at: datetime) -> Event:
    return _event(
        order,
        events_pb2.OrderShipped(
            order_id=str(order.id),
            shipment_id=str(shipment.id),
            lines=lines_to_proto(shipment.lines),
            fully_shipped=order.fully_shipped,
            version=order.version,
            occurred_at=ts(at),
        ),
    )


def delivered(order: Order, shipment: Shipment, customer: Customer | None, at: datetime) -> Event:
    delivered_at = shipment.delivered_at or at
    return _event(
        order,
        events_pb2.OrderDelivered(
            order_id=str(order.id),
            shipment_id=str(shipment.id),
            lines=lines_to_proto(shipment.lines),
            fully_delivered=order.fully_delivered,
            delivery_date=delivered_at.date().isoformat(),
            order=order_to_proto(order),
            customer=customer_to_proto(customer) if customer is not None else None,
            version=order.version,
            occurred_at=ts(at),
        ),
    )


def cancelled(order: Order, change: StatusChange) -> Event:
    return _event(
        order,
        events_pb2.OrderCancelled(
            order_id=str(order.id),
            customer_id=str(order.customer_id),
            lines=lines_to_proto({ln.sku: ln.quantity for ln in order.lines}),
            reason=change.reason,
            previous_status=status_to_proto(change.from_status),
            net_total=money(order.totals().net, order.currency),
            confirmed_at=ts(order.confirmed_at),
            version=order.version,
            occurred_at=ts(change.changed_at),
        ),
    )


def returned(order: Order, order_return: OrderReturn) -> Event:
    return _event(
        order,
        events_pb2.OrderReturned(
            order_id=str(order.id),
            return_id=str(order_return.id),
            customer_id=str(order.customer_id),
            lines=lines_to_proto(order_return.lines),
            reason=order_return.reason,
            version=order.version,
            occurred_at=ts(order_return.created_at),
        ),
    )


def paid(order: Order, at: datetime) -> Event:
    return _event(
        order,
        events_pb2.OrderPaid(
            order_id=str(order.id),
            customer_id=str(order.customer_id),
            invoice_id=order.invoice_id or "",
            amount_paid=money(order.amount_paid, order.currency),
            paid_at=ts(at),
            version=order.version,
            occurred_at=ts(at),
        ),
    )


def backorder_needed(order: Order, backorders: Sequence[Backorder], at: datetime) -> Event:
    return _event(
        order,
        events_pb2.OrderBackorderNeeded(
            order_id=str(order.id),
            number=order.number or "",
            lines=[
                events_pb2.OrderBackorderNeeded.BackorderLine(
                    sku=b.sku, quantity=b.quantity, expected_date=b.expected_date
                )
                for b in backorders
            ],
            version=order.version,
            occurred_at=ts(at),
        ),
    )


def quote_requested(order: Order, at: datetime) -> Event:
    return _event(
        order,
        events_pb2.OrderQuoteRequested(
            order_id=str(order.id),
            number=order.number or "",
            customer_id=str(order.customer_id),
            lines=lines_to_proto({ln.sku: ln.quantity for ln in order.lines}),
            notes=order.notes,
            version=order.version,
            occurred_at=ts(at),
        ),
    )
