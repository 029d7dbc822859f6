"""The order aggregate: partial shipments and deliveries, cancel, returns, payments."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from orders.domain.changes import OrderCreated, OrderPaid, QuoteRequested, StatusChange
from orders.domain.lines import ShipmentStatus
from orders.domain.numbering import format_order_number
from orders.domain.order import new_quote_request
from orders.domain.placement import Placement
from orders.domain.status import OrderStatus
from orders.errors import ConfirmationNeedsPlacement, IllegalTransition, InvalidQuantity

from .factories import T0, confirmed_order, price, status_of

S = OrderStatus


def test_confirmation_records_the_first_history_row_and_totals() -> None:
    order = confirmed_order({"LED-1": 2})
    assert order.status == S.ORDER_CONFIRMED
    assert order.placement == Placement.CONFIRMED
    assert order.number == "CMD-2026-000001"
    totals = order.totals()
    assert (totals.net, totals.vat, totals.gross) == (
        Decimal("20.00"),
        Decimal("4.20"),
        Decimal("24.20"),
    )


def test_partial_shipments_keep_per_line_quantities_until_everything_has_left() -> None:
    order = confirmed_order({"LED-1": 5, "LED-2": 3}, status=S.READY_TO_SHIP)
    first = order.ship({"LED-1": 2}, shipment_id=uuid.uuid4(), actor="w", at=T0)
    assert first.lines == {"LED-1": 2}
    assert [(ln.sku, ln.shipped) for ln in order.lines] == [("LED-1", 2), ("LED-2", 0)]
    assert order.status == S.READY_TO_SHIP
    order.ship(None, shipment_id=uuid.uuid4(), actor="w", at=T0)  # the rest
    assert [(ln.sku, ln.shipped) for ln in order.lines] == [("LED-1", 5), ("LED-2", 3)]
    assert status_of(order) == S.SHIPPED
    assert [c.to_status for c in order.status_changes] == [S.SHIPPED]


def test_shipping_more_than_ordered_is_refused_and_changes_nothing() -> None:
    order = confirmed_order({"LED-1": 5}, status=S.READY_TO_SHIP)
    version = order.version
    with pytest.raises(InvalidQuantity) as caught:
        order.ship({"LED-1": 6}, shipment_id=uuid.uuid4(), actor="w", at=T0)
    assert "LED-1" in caught.value.details["fields"]
    assert order.lines[0].shipped == 0
    assert order.version == version


def test_shipping_an_sku_not_on_the_order_is_refused() -> None:
    order = confirmed_order({"LED-1": 5}, status=S.READY_TO_SHIP)
    with pytest.raises(InvalidQuantity):
        order.ship({"NOPE": 1}, shipment_id=uuid.uuid4(), actor="w", at=T0)


def test_shipping_before_ready_to_ship_is_an_illegal_transition() -> None:
    order = confirmed_order(status=S.IN_PREPARATION)
    with pytest.raises(IllegalTransition) as caught:
        order.ship(None, shipment_id=uuid.uuid4(), actor="w", at=T0)
    assert caught.value.details["from"] == "IN_PREPARATION"


def test_delivered_only_when_every_shipment_is_delivered() -> None:
    order = confirmed_order({"LED-1": 4}, status=S.READY_TO_SHIP)
    a = order.ship({"LED-1": 1}, shipment_id=uuid.uuid4(), actor="w", at=T0)
    b = order.ship({"LED-1": 3}, shipment_id=uuid.uuid4(), actor="w", at=T0)
    _, applied = order.deliver(a.id, actor="w", at=T0, recorded_at=T0)
    assert applied
    assert order.status == S.SHIPPED
    assert order.lines[0].delivered == 1
    shipment, applied = order.deliver(b.id, actor="w", at=T0, recorded_at=T0)
    assert applied
    assert shipment.status == ShipmentStatus.DELIVERED
    assert status_of(order) == S.DELIVERED
    assert order.lines[0].delivered == 4
    _, again = order.deliver(b.id, actor="w", at=T0, recorded_at=T0)
    assert again is False


def test_cancel_before_shipped_and_not_after() -> None:
    order = confirmed_order(status=S.IN_PREPARATION)
    change = order.cancel(actor="s", reason="customer changed mind", at=T0)
    assert change is not None
    assert change.from_status == S.IN_PREPARATION
    assert order.cancel(actor="s", reason="again", at=T0) is None  # idempotent
    shipped = confirmed_order(status=S.SHIPPED)
    with pytest.raises(IllegalTransition):
        shipped.cancel(actor="s", reason="too late", at=T0)


def test_return_limits_to_what_was_shipped_and_ends_returned() -> None:
    order = confirmed_order({"LED-1": 5}, status=S.READY_TO_SHIP)
    order.ship({"LED-1": 5}, shipment_id=uuid.uuid4(), actor="w", at=T0)
    with pytest.raises(InvalidQuantity):
        order.return_goods({"LED-1": 6}, return_id=uuid.uuid4(), reason="x", actor="s", at=T0)
    ret = order.return_goods(
        {"LED-1": 2}, return_id=uuid.uuid4(), reason="broken", actor="s", at=T0
    )
    assert ret.lines == {"LED-1": 2}
    assert order.lines[0].returned == 2
    assert order.status == S.RETURNED


def test_manual_confirmation_is_refused() -> None:
    order = confirmed_order(status=S.QUOTE_ACCEPTED)
    with pytest.raises(ConfirmationNeedsPlacement):
        order.change_status(S.ORDER_CONFIRMED, actor="s", reason="", at=T0)


def test_same_status_again_is_a_no_op() -> None:
    order = confirmed_order(status=S.IN_PREPARATION)
    version = order.version
    assert order.change_status(S.IN_PREPARATION, actor="w", reason="", at=T0) is None
    assert order.version == version


def test_full_payment_of_a_delivered_order_invoices_then_pays() -> None:
    order = confirmed_order(status=S.DELIVERED)
    became_paid = order.record_payment(
        invoice_id="INV-1", total_paid=Decimal("50"), fully_paid=True, actor="system", at=T0
    )
    assert became_paid
    assert [c.to_status for c in order.status_changes] == [S.INVOICED, S.PAID]
    assert sum(isinstance(c, OrderPaid) for c in order.changes) == 1
    assert order.amount_paid == Decimal("50.00")
    order.changes.clear()
    version = order.version
    again = order.record_payment(
        invoice_id="INV-1", total_paid=Decimal("50"), fully_paid=True, actor="system", at=T0
    )
    assert (again, order.version, order.changes) == (False, version, [])


def test_a_partial_payment_keeps_the_amount_and_the_status() -> None:
    order = confirmed_order(status=S.INVOICED)
    assert order.record_payment(
        invoice_id="INV-1", total_paid=Decimal("10"), fully_paid=False, actor="system", at=T0
    )
    assert order.status == S.INVOICED
    assert order.changes == []
    assert order.amount_paid == Decimal("10.00")


def test_a_quote_request_starts_visible_at_quote_pending() -> None:
    order = new_quote_request(
        order_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        lines={"LED-1": 1},
        number="CMD-2026-000007",
        actor="s",
        at=T0,
    )
    assert order.visible
    assert order.status == S.QUOTE_PENDING
    assert order.changes == [
        OrderCreated(T0),
        QuoteRequested(T0),
        StatusChange(None, S.QUOTE_PENDING, "s", "quote requested", T0),
    ]


def test_order_numbers_are_zero_padded_per_year() -> None:
    assert format_order_number(2026, 1) == "CMD-2026-000001"
    assert format_order_number(2027, 123456) == "CMD-2027-123456"
    with pytest.raises(ValueError, match="start at 1"):
        format_order_number(2026, 0)


def test_line_price_reads_decimal_amounts_never_floats() -> None:
    p = price("LED-1", 3, "33.33")
    assert p.line_net == Decimal("99.99")
    assert isinstance(p.line_vat, Decimal)
