"""Every conversion between protobuf messages and the orders domain: the gRPC API, the
events, and the replies of pricing and inventory. Request shapes are checked here: a
bad id, decimal or status raises ValidationFailed naming the field."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf.timestamp_pb2 import Timestamp

from cypher.common.v1 import address_pb2, money_pb2
from cypher.inventory.v1 import inventory_pb2
from cypher.orders.v1 import orders_pb2
from cypher.pricing.v1 import pricing_pb2
from cypher_runtime.proto_values import (
    datetime_from_pb,
    decimal_from_text,
    money_pb,
    optional_timestamp_pb,
    timestamp_pb,
)
from orders.domain.changes import StatusChange
from orders.domain.customer import ADDRESS_FIELDS, Customer
from orders.domain.lines import Backorder, OrderReturn, Shipment, ShipmentStatus, parse_lines
from orders.domain.order import Order, OrderSource
from orders.domain.placement import Reservation, ReservationState
from orders.domain.prices import ZERO, LinePrice, PricedQuote
from orders.domain.status import OrderStatus
from orders.errors import ValidationFailed
from orders.queries import OrderStats

_STATUS_PREFIX = "ORDER_STATUS_"
_SOURCES = {
    OrderSource.DIRECT: orders_pb2.ORDER_SOURCE_DIRECT,
    OrderSource.QUOTE_REQUEST: orders_pb2.ORDER_SOURCE_QUOTE_REQUEST,
    OrderSource.QUOTATION: orders_pb2.ORDER_SOURCE_QUOTATION,
}
_SHIPMENT_STATUS = {
    ShipmentStatus.SHIPPED: orders_pb2.SHIPMENT_STATUS_SHIPPED,
    ShipmentStatus.DELIVERED: orders_pb2.SHIPMENT_STATUS_DELIVERED,
}
_RESERVATION_STATES = {
    inventory_pb2.RESERVATION_STATUS_PENDING: ReservationState.PENDING,
    inventory_pb2.RESERVATION_STATUS_CONFIRMED: ReservationState.CONFIRMED,
    inventory_pb2.RESERVATION_STATUS_PARTIALLY_COMMITTED: ReservationState.PARTIALLY_COMMITTED,
    inventory_pb2.RESERVATION_STATUS_COMMITTED: ReservationState.COMMITTED,
    inventory_pb2.RESERVATION_STATUS_RELEASED: ReservationState.RELEASED,
    inventory_pb2.RESERVATION_STATUS_EXPIRED: ReservationState.EXPIRED,
}


# -- request fields -----------------------------------------------------------------------
def parse_uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed({field: "not a valid id"}) from None


def optional_uuid(value: str, field: str) -> uuid.UUID | None:
    return parse_uuid(value, field) if value else None


def line_quantities(
    items: Iterable[orders_pb2.LineQuantity | orders_pb2.OrderLineInput], field: str = "lines"
) -> dict[str, int]:
    return parse_lines([(ln.sku, int(ln.quantity)) for ln in items], field_name=field)


def optional_datetime(stamp: Timestamp, present: bool) -> datetime | None:
    return datetime_from_pb(stamp) if present else None


def status_to_proto(status: OrderStatus | None) -> orders_pb2.OrderStatus.ValueType:
    if status is None:
        return orders_pb2.ORDER_STATUS_UNSPECIFIED
    return orders_pb2.OrderStatus.Value(_STATUS_PREFIX + status.value)


def status_from_proto(value: int, field: str = "status") -> OrderStatus | None:
    """None for UNSPECIFIED; an unknown number is a field error."""
    if value not in orders_pb2.OrderStatus.values():
        raise ValidationFailed({field: f"unknown order status {value}"})
    name = orders_pb2.OrderStatus.Name(value)  # type: ignore[arg-type]
    if name == "ORDER_STATUS_UNSPECIFIED":
        return None
    return OrderStatus(name.removeprefix(_STATUS_PREFIX))


def address_to_proto(address: Mapping[str, str] | None) -> address_pb2.Address | None:
    if not address:
        return None
    return address_pb2.Address(**{k: address.get(k, "") for k in ADDRESS_FIELDS})


def address_from_proto(msg: address_pb2.Address, present: bool) -> dict[str, str] | None:
    if not present:
        return None
    return {k: getattr(msg, k) for k in ADDRESS_FIELDS}


# -- customers ----------------------------------------------------------------------------
def customer_to_proto(customer: Customer) -> orders_pb2.Customer:
    return orders_pb2.Customer(
        id=str(customer.id),
        name=customer.name,
        email=customer.email,
        company=customer.company,
        vat_code=customer.vat_code,
        address=address_to_proto(customer.address),
        phone=customer.phone,
        reg_com=customer.reg_com,
        version=customer.version,
        created_at=timestamp_pb(customer.created_at),
        updated_at=timestamp_pb(customer.updated_at),
    )


# -- prices -------------------------------------------------------------------------------
def _money_in(money: money_pb2.Money, present: bool, field: str) -> Decimal | None:
    if not present or not money.amount:
        return None
    return decimal_from_text(money.amount, f"{field}.amount", max_places=8)


def _percent_in(text: str, field: str) -> Decimal | None:
    return decimal_from_text(text, field, max_places=8) if text else None


def amount_from_proto(money: money_pb2.Money, field: str) -> Decimal:
    """An amount that may be left empty (0)."""
    return _money_in(money, True, field) or ZERO


def line_price_from_proto(line: pricing_pb2.PricedLine, field: str = "price") -> LinePrice:
    moneys = ("unit_cost", "list_price", "unit_net", "unit_gross", "line_net", "line_vat")
    currency = line.currency or next(
        (getattr(line, m).currency for m in moneys if getattr(line, m).currency), "RON"
    )

    def money(name: str) -> Decimal | None:
        return _money_in(getattr(line, name), line.HasField(name), f"{field}.{name}")  # type: ignore[arg-type]

    def pct(name: str) -> Decimal | None:
        return _percent_in(str(getattr(line, name)), f"{field}.{name}")

    return LinePrice(
        sku=line.sku,
        quantity=int(line.quantity),
        currency=currency,
        unit_cost=money("unit_cost"),
        list_price=money("list_price"),
        tier="" if line.tier == pricing_pb2.TIER_UNSPECIFIED else pricing_pb2.Tier.Name(line.tier),
        tier_discount_pct=pct("tier_discount_pct"),
        volume_discount_pct=pct("volume_discount_pct"),
        promotion_discount_pct=pct("promotion_discount_pct"),
        unit_net=money("unit_net"),
        vat_rate=pct("vat_rate"),
        unit_gross=money("unit_gross"),
        line_net=money("line_net"),
        line_vat=money("line_vat"),
        line_gross=money("line_gross"),
        margin_pct=pct("margin_pct"),
        margin_floor_applied=line.margin_floor_applied,
        promotion_id=line.promotion_id,
        vat_category=""
        if line.vat_category == pricing_pb2.VAT_CATEGORY_UNSPECIFIED
        else pricing_pb2.VatCategory.Name(line.vat_category),
        name=line.name,
        unit=line.unit,
        pricing_date=line.pricing_date,
    )


def price_to_proto(price: LinePrice) -> pricing_pb2.PricedLine:
    def money(amount: Decimal | None) -> money_pb2.Money | None:
        return (
            None if amount is None else money_pb2.Money(amount=str(amount), currency=price.currency)
        )

    def pct(value: Decimal | None) -> str:
        return "" if value is None else str(value)

    return pricing_pb2.PricedLine(
        sku=price.sku,
        quantity=price.quantity,
        unit_cost=money(price.unit_cost),
        list_price=money(price.list_price),
        tier=pricing_pb2.Tier.Value(price.tier) if price.tier else pricing_pb2.TIER_UNSPECIFIED,
        tier_discount_pct=pct(price.tier_discount_pct),
        volume_discount_pct=pct(price.volume_discount_pct),
        promotion_discount_pct=pct(price.promotion_discount_pct),
        unit_net=money(price.unit_net),
        vat_rate=pct(price.vat_rate),
        unit_gross=money(price.unit_gross),
        line_net=money(price.line_net),
        line_vat=money(price.line_vat),
        line_gross=money(price.line_gross),
        margin_pct=pct(price.margin_pct),
        margin_floor_applied=price.margin_floor_applied,
        currency=price.currency,
        promotion_id=price.promotion_id,
        vat_category=pricing_pb2.VatCategory.Value(price.vat_category)
        if price.vat_category
        else pricing_pb2.VAT_CATEGORY_UNSPECIFIED,
        name=price.name,
        unit=price.unit,
        pricing_date=price.pricing_date,
    )


def locked_prices(lines: Iterable[orders_pb2.OrderLineInput]) -> dict[str, LinePrice]:
    return {
        ln.sku: line_price_from_proto(ln.locked_price, f"lines[{i}].locked_price")
        for i, ln in enumerate(lines)
        if ln.HasField("locked_price")
    }


# -- orders -------------------------------------------------------------------------------
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
        shipped_at=timestamp_pb(shipment.shipped_at),
        delivered_at=optional_timestamp_pb(shipment.delivered_at),
    )


def return_to_proto(order: Order, order_return: OrderReturn) -> orders_pb2.OrderReturn:
    return orders_pb2.OrderReturn(
        id=str(order_return.id),
        order_id=str(order.id),
        lines=lines_to_proto(order_return.lines),
        reason=order_return.reason,
        created_at=timestamp_pb(order_return.created_at),
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
        net=money_pb(totals.net, order.currency),
        vat=money_pb(totals.vat, order.currency),
        gross=money_pb(totals.gross, order.currency),
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
        created_at=timestamp_pb(order.created_at),
        updated_at=timestamp_pb(order.updated_at),
        confirmed_at=optional_timestamp_pb(order.confirmed_at),
        invoice_id=order.invoice_id or "",
        amount_paid=money_pb(order.amount_paid, order.currency),
    )


def change_to_proto(change: StatusChange) -> orders_pb2.StatusChange:
    return orders_pb2.StatusChange(
        from_status=status_to_proto(change.from_status),
        to_status=status_to_proto(change.to_status),
        actor=change.actor,
        reason=change.reason,
        changed_at=timestamp_pb(change.changed_at),
    )


# -- pricing and inventory replies --------------------------------------------------------
def quote_from_proto(reply: pricing_pb2.QuoteLinesResponse) -> PricedQuote:
    return PricedQuote(
        prices={ln.sku: line_price_from_proto(ln, f"lines[{ln.sku}]") for ln in reply.lines},
        pricing_date=reply.pricing_date,
        currency=reply.currency or "RON",
    )


def reservation_from_proto(res: inventory_pb2.Reservation) -> Reservation:
    return Reservation(
        id=res.id,
        order_id=uuid.UUID(res.order_id),
        state=_RESERVATION_STATES.get(res.status, ReservationState.RELEASED),
        backorders=tuple(
            Backorder(sku=b.sku, quantity=int(b.quantity), expected_date=b.expected_date)
            for b in res.backorders
            if b.quantity > 0
        ),
    )


# The business's day (the dashboard's "today") when the request names no time zone.
DEFAULT_TIME_ZONE = "Europe/Bucharest"


def day_window(day: str, time_zone: str, now: datetime) -> tuple[date, datetime, datetime]:
    """The day asked for (today in the zone when empty) and its [start, end) instants."""
    try:
        zone = ZoneInfo(time_zone.strip() or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed({"time_zone": "unknown time zone"}) from None
    try:
        on = date.fromisoformat(day.strip()) if day.strip() else now.astimezone(zone).date()
    except ValueError:
        raise ValidationFailed({"day": "expected YYYY-MM-DD"}) from None
    start = datetime.combine(on, time(0), tzinfo=zone)
    return on, start, datetime.combine(on + timedelta(days=1), time(0), tzinfo=zone)


def stats_to_proto(on: date, stats: OrderStats, currency: str) -> orders_pb2.GetOrderStatsResponse:
    return orders_pb2.GetOrderStatsResponse(
        by_status=[
            orders_pb2.OrderStatusCount(status=status_to_proto(status), count=count)
            for status, count in sorted(stats.by_status.items(), key=lambda kv: kv[0].value)
        ],
        revenue=money_pb2.Money(amount=f"{stats.revenue:.2f}", currency=currency),
        orders_confirmed=stats.confirmed,
        day=on.isoformat(),
    )
