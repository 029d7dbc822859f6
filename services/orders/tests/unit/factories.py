"""Test data for the domain: a confirmed order with priced lines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from orders.domain.order import Order, OrderSource, new_order
from orders.domain.prices import LinePrice
from orders.domain.status import OrderStatus

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def price(sku: str, quantity: int, unit_net: str, vat_rate: str = "21") -> LinePrice:
    net = Decimal(unit_net) * quantity
    vat = (net * Decimal(vat_rate) / 100).quantize(Decimal("0.01"))
    return LinePrice(
        sku=sku,
        quantity=quantity,
        currency="RON",
        unit_net=Decimal(unit_net),
        line_net=net,
        line_vat=vat,
        line_gross=net + vat,
        vat_rate=Decimal(vat_rate),
    )


def confirmed_order(
    lines: dict[str, int] | None = None, status: OrderStatus = OrderStatus.ORDER_CONFIRMED
) -> Order:
    lines = lines or {"LED-1": 5, "LED-2": 3}
    order = new_order(
        order_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        source=OrderSource.DIRECT,
        lines=lines,
        locked={},
        at=T0,
    )
    order.apply_prices(
        {sku: price(sku, q, "10.00") for sku, q in lines.items()}, pricing_date="2026-03-01", at=T0
    )
    order.record_reservation("res-1", [], at=T0)
    order.confirm(actor="tester", at=T0)
    order.number = "CMD-2026-000001"
    order.changes.clear()
    order.status = status
    return order


def status_of(order: Order) -> OrderStatus | None:
    """Read the status through a call, so the type checker does not keep a narrowed value."""
    return order.status
