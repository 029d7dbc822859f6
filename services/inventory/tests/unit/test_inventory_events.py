"""The published events are built from what the aggregates recorded: one
inventory.reserved per transaction however many fills, backordered after it, released
with what was freed; stock changes keep their order and versions."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cypher.inventory.v1 import events_pb2
from cypher.inventory.v1 import inventory_pb2 as pb
from inventory import events
from inventory.domain.reservation import (
    AllocationState,
    BackorderState,
    ReleaseReason,
    Reservation,
    ReservationStatus,
)
from inventory.domain.stock import (
    Allocation,
    AllocationPlan,
    LowStockCrossed,
    MovementKind,
    StockLevel,
    StockMoved,
)

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def new_reservation() -> Reservation:
    return Reservation("r1", "o1", ReservationStatus.PENDING, (), T0, None)


def test_a_placed_reservation_with_a_shortfall_is_reserved_then_backordered() -> None:
    res = new_reservation()
    res.hold(AllocationPlan((Allocation("LED-1", "A", 2),), {"LED-1": 3}), date(2026, 12, 13))

    published = events.reservation_events(res, T0)

    assert [type(e.message) for e in published] == [
        events_pb2.InventoryReserved,
        events_pb2.InventoryBackordered,
    ]
    reserved = published[0].message
    assert isinstance(reserved, events_pb2.InventoryReserved)
    assert [(a.warehouse, a.quantity) for a in reserved.allocations] == [("A", 2)]
    assert [(b.sku, b.quantity) for b in reserved.backorders] == [("LED-1", 3)]
    assert (published[0].aggregate_id, published[0].version) == ("o1", 1)
    assert published[1].version is None
    assert res.changes == []


def test_several_fills_in_one_transaction_announce_the_final_holdings_once() -> None:
    res = new_reservation()
    res.backorders = [
        BackorderState(1, "LED-1", 2, date(2026, 12, 13)),
        BackorderState(2, "LED-2", 2, date(2026, 12, 13)),
    ]
    res.fill_backorder(1, "A", 2)
    res.fill_backorder(2, "B", 1)

    published = events.reservation_events(res, T0)

    assert len(published) == 1
    message = published[0].message
    assert isinstance(message, events_pb2.InventoryReserved)
    assert message.version == 3
    assert [b.fulfilled_quantity for b in message.backorders] == [2, 1]


def test_a_release_announces_what_it_freed_and_why() -> None:
    res = new_reservation()
    res.allocations = [AllocationState("LED-1", "A", 3, committed=1)]
    res.release(ReleaseReason.ORDER_CANCELLED, "changed mind")
    res.release(ReleaseReason.ORDER_CANCELLED)  # idempotent: nothing more to announce

    [released] = events.reservation_events(res, T0)

    message = released.message
    assert isinstance(message, events_pb2.InventoryReleased)
    assert [(a.sku, a.quantity) for a in message.released] == [("LED-1", 2)]
    assert (message.reason, message.reason_detail) == (
        pb.RELEASE_REASON_ORDER_CANCELLED,
        "changed mind",
    )
    assert res.status == ReservationStatus.RELEASED


def test_stock_changes_keep_their_order_and_only_stock_changed_is_versioned() -> None:
    level = StockLevel("LED-1", "A", 2, 0)
    published = events.stock_events(
        [
            LowStockCrossed(level, threshold=3, total_available=2, version=4, at=T0),
            StockMoved(
                level, 2, MovementKind.ADJUSTMENT, 17, version=4, warehouse_version=2, at=T0
            ),
        ]
    )
    assert [type(e.message) for e in published] == [
        events_pb2.InventoryLowStock,
        events_pb2.InventoryStockChanged,
    ]
    assert [e.version for e in published] == [None, 4]
    changed = published[1].message
    assert isinstance(changed, events_pb2.InventoryStockChanged)
    assert (changed.movement_id, changed.movement_type, changed.warehouse_version) == (
        "17",
        pb.MOVEMENT_TYPE_ADJUSTMENT,
        2,
    )
