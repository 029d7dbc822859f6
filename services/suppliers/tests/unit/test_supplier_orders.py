"""Supplier order statuses, receipts and the events they produce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from cypher.suppliers.v1 import events_pb2
from suppliers import events
from suppliers.domain.orders import OrderLine, OrderStatus, Receipt, SupplierOrder, new_order
from suppliers.errors import IllegalTransition, ValidationFailed, VersionConflict

T0 = datetime(2026, 12, 3, 9, tzinfo=UTC)
S = OrderStatus


def order(*, draft: bool = False) -> SupplierOrder:
    return new_order(
        "so1",
        "s1",
        "RON",
        [
            OrderLine("LED-A", "ML1", 10, Decimal("5.00")),
            OrderLine("LED-B", "ML2", 4, Decimal("2.50"), warehouse="B"),
        ],
        T0,
        draft=draft,
        customer_order_id="o1",
    )


def test_a_draft_is_placed_by_purchasing_and_announces_it() -> None:
    o = order(draft=True)
    assert o.status is S.DRAFT
    assert events.published(o) == []
    o.change_status(S.PLACED, T0)
    (placed,) = events.published(o)
    assert isinstance(placed.message, events_pb2.SupplierOrderPlaced)
    assert placed.message.order_id == "o1"
    assert [ln.quantity for ln in placed.message.lines] == [10, 4]
    assert o.total == Decimal("60.00")


def test_the_happy_path_and_a_full_receipt() -> None:
    o = order()
    events.published(o)
    o.change_status(S.CONFIRMED, T0)
    o.change_status(S.SHIPPED, T0)
    o.change_status(S.RECEIVED, T0 + timedelta(days=2))
    assert o.status is S.RECEIVED
    assert o.received_at == T0 + timedelta(days=2)
    (received,) = events.published(o)
    assert isinstance(received.message, events_pb2.SupplierOrderReceived)
    assert [(x.sku, x.warehouse, x.quantity) for x in received.message.lines] == [
        ("LED-A", "A", 10),
        ("LED-B", "B", 4),
    ]


def test_partial_receipts_per_line() -> None:
    o = order()
    o.receive([Receipt("LED-A", "", 6)], T0)
    assert o.status is S.PLACED
    assert [ln.received_quantity for ln in o.lines] == [6, 0]
    o.receive([Receipt("LED-A", "C", 4), Receipt("LED-B", "", 4)], T0)
    assert o.status.value == "RECEIVED"
    receipts = [e.message for e in events.published(o)][1:]
    assert [[(x.sku, x.warehouse, x.quantity) for x in m.lines] for m in receipts] == [  # type: ignore[attr-defined]
        [("LED-A", "A", 6)],
        [("LED-A", "C", 4), ("LED-B", "B", 4)],
    ]


def test_receiving_more_than_ordered_or_an_unknown_sku_is_refused() -> None:
    o = order()
    with pytest.raises(ValidationFailed) as err:
        o.receive([Receipt("LED-A", "", 11), Receipt("LED-Z", "", 1), Receipt("LED-B", "", 0)], T0)
    assert set(err.value.fields) == {"lines[0].quantity", "lines[1].sku", "lines[2].quantity"}
    assert [ln.received_quantity for ln in o.lines] == [0, 0]


@pytest.mark.parametrize(
    ("path", "to"),
    [
        ([], S.CONFIRMED),  # a draft is not with the supplier yet
        ([S.PLACED, S.RECEIVED], S.CANCELLED),
        ([S.PLACED, S.CANCELLED], S.PLACED),
    ],
)
def test_illegal_transitions_name_what_is_allowed(path: list[OrderStatus], to: OrderStatus) -> None:
    o = order(draft=True)
    for step in path:
        o.change_status(step, T0)
    with pytest.raises(IllegalTransition) as err:
        o.change_status(to, T0)
    assert err.value.details["from"] == o.status.value
    assert err.value.details["to"] == to.value


def test_a_draft_cannot_receive_goods_and_versions_are_checked() -> None:
    o = order(draft=True)
    with pytest.raises(IllegalTransition):
        o.receive([Receipt("LED-A", "", 1)], T0)
    with pytest.raises(VersionConflict):
        o.change_status(S.PLACED, T0, expected_version=7)


def test_new_order_validation() -> None:
    with pytest.raises(ValidationFailed) as err:
        new_order("x", "s", "RON", [OrderLine("", "", 0, Decimal(-1))], T0, draft=False)
    assert set(err.value.fields) == {"lines[0].sku", "lines[0].quantity", "lines[0].unit_price"}
