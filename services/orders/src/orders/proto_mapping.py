"""Domain objects ↔ protobuf messages (the gRPC API and the events share these)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from cypher.common.v1 import address_pb2, money_pb2
from cypher.orders.v1 import orders_pb2
from cypher.pricing.v1 import pricing_pb2
from orders.domain.customer import ADDRESS_FIELDS, Customer
from orders.domain.model import (
    LinePrice,
    Order,
    OrderReturn,
    OrderSource,
    Shipment,
    ShipmentStatus,
    StatusChange,
)
from orders.domain.status import OrderStatus

_PREFIX = "ORDER_STATUS_"


def status_to_proto(status: OrderStatus | None) -> orders_pb2.OrderStatus.ValueType:
    if status is None:
        return orders_pb2.ORDER_STATUS_UNSPECIFIED
    return orders_pb2.OrderStatus.Value(_PREFIX + status.value)


def status_from_proto(value: int) -> OrderStatus | None:
    name = orders_pb2.OrderStatus.Name(value)  # type: ignore[arg-type]
    if name == "ORDER_STATUS_UNSPECIFIED":
        return None
    return OrderStatus(name.removeprefix(_PREFIX))


_SOURCES = {
    OrderSource.DIRECT: orders_pb2.ORDER_SOURCE_DIRECT,
    OrderSource.QUOTE_REQUEST: orders_pb2.ORDER_SOURCE_QUOTE_REQUEST,
    OrderSource.QUOTATION: orders_pb2.ORDER_SOURCE_QUOTATION,
}
_SHIPMENT_STATUS = {
    ShipmentStatus.SHIPPED: orders_pb2.SHIPMENT_STATUS_SHIPPED,
    ShipmentStatus.DELIVERED: orders_pb2.SHIPMENT_STATUS_DELIVERED,
}


def ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def money(amount: Decimal, currency: str) -> money_pb2.Money:
    return money_pb2.Money(amount=f"{amount:.2f}", currency=currency)


def address_to_proto(address: Mapping[str, str] | None) -> address_pb2.Address | None:
    if not address:
        return None
    return address_pb2.Address(**{k: address.get(k, "") for k in ADDRESS_FIELDS})


def address_from_proto(msg: address_pb2.Address, present: bool) -> dict[str, str] | None:
    if not present:
        return None
    return {k: getattr(msg, k) for k in ADDRESS_FIELDS}


def customer_to_proto(customer: Customer) -> orders_pb2.Customer:
    return orders_pb2.Customer(
        id=str(customer.id),
        name=customer.name,
        email=customer.email,
        company=customer.company,
        vat_code=customer.vat_code,
        address=address_to_proto(customer.address),
        phone=customer.phone,
        version=customer.version,
        created_at=ts(customer.created_at),
        updated_at=ts(customer.updated_at),
    )


def price_to_proto(price: LinePrice) -> pricing_pb2.PricedLine:
    return json_format.ParseDict(
        dict(price.fields), pricing_pb2.PricedLine(), ignore_unknown_fields=True
    )


def line_price_from_proto(line: pricing_pb2.PricedLine) -> LinePrice:
    return LinePrice(
        fields=json_format.MessageToDict(
            line, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
    )


def lines_to_proto(lines: Mapping[str, int]) -> list[orders_pb2.LineQuantity]:
    return [orders_pb2.LineQuantity(sku=s, quantity=q) for s, q in lines.items()]


def shipment_to_proto(order: Order, shipment: Shipment) -> orders_pb2.Shipment:
    return orders_pb2.Shipment(
        id=str(shipment.id),
        order_id=str(order.id),
        lines=lines_to_proto(shipment.lines),
        status=_SHIPMENT_STATUS[shipment.status],
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        shipped_at=ts(shipment.shipped_at),
        delivered_at=ts(shipment.delivered_at),
    )


def return_to_proto(order: Order, order_return: OrderReturn) -> orders_pb2.OrderReturn:
    return orders_pb2.OrderReturn(
        id=str(order_return.id),
        order_id=str(order.id),
        lines=lines_to_proto(order_return.lines),
        reason=order_return.reason,
        created_at=ts(order_return.created_at),
    )


def order_lines_to_proto(order: Order) -> list[orders_pb2.OrderLine]:
    return [
        orders_pb2.OrderLine(
            sku=ln.sku,
            quantity=ln.quantity,
            shipped_quantity=ln.shipped,
            delivered_quantity=ln.delivered,
            returned_quantity=ln.returned,
            backordered_quantity=ln.backordered,
            price=price_to_proto(ln.price) if ln.price is not None else None,
            price_locked=ln.price_locked,
        )
        for ln in order.lines
    ]


def totals_to_proto(order: Order) -> money_pb2.Totals:
    totals = order.totals()
    return money_pb2.Totals(
        net=money(totals.net, order.currency),
        vat=money(totals.vat, order.currency),
        gross=money(totals.gross, order.currency),
    )


def order_to_proto(order: Order) -> orders_pb2.Order:
    return orders_pb2.Order(
        id=str(order.id),
        number=order.number or "",
        customer_id=str(order.customer_id),
        status=status_to_proto(order.status),
        source=_SOURCES[order.source],
        quotation_id=order.quotation_id or "",
        lines=order_lines_to_proto(order),
        totals=totals_to_proto(order),
        currency=order.currency,
        allow_backorder=order.allow_backorder,
        notes=order.notes,
        shipping_address=address_to_proto(order.shipping_address),
        shipments=[shipment_to_proto(order, s) for s in order.shipments],
        returns=[return_to_proto(order, r) for r in order.returns],
        reservation_id=order.reservation_id or "",
        pricing_date=order.pricing_date or "",
        version=order.version,
        created_at=ts(order.created_at),
        updated_at=ts(order.updated_at),
        confirmed_at=ts(order.confirmed_at),
        invoice_id=order.invoice_id or "",
        amount_paid=money(order.amount_paid, order.currency),
    )


def change_to_proto(change: StatusChange) -> orders_pb2.StatusChange:
    return orders_pb2.StatusChange(
        from_status=status_to_proto(change.from_status),
        to_status=status_to_proto(change.to_status),
        actor=change.actor,
        reason=change.reason,
        changed_at=ts(change.changed_at),
    )
