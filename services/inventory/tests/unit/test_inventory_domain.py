"""Unit tests of the pure inventory rules: allocation, reservations, backorders, expiry,
low-stock crossings, returns and reconciliation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cypher_runtime.clock import FixedClock
from inventory.domain.reconciliation import LedgerFigures, reconcile
from inventory.domain.reservation import (
    AllocationState,
    BackorderState,
    BackorderStatus,
    ReleaseReason,
    Reservation,
    ReservationStatus,
    backorder_expected_date,
    plan_backorder_fill,
    plan_return,
    reservation_expiry,
)
from inventory.domain.stock import (
    Allocation,
    Line,
    StockLevel,
    Warehouse,
    allocate,
    check_adjustment,
    check_transfer,
    low_stock_transition,
    normalize_lines,
)
from inventory.errors import (
    ExceedsReserved,
    InsufficientStock,
    NegativeStock,
    ReservationExpired,
    ReservationMismatch,
    ReservationReleased,
    SameWarehouse,
    ValidationFailed,
)

WAREHOUSES = (Warehouse("A", "HQ", 1), Warehouse("B", "B", 2), Warehouse("C", "C", 3))
T0 = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)


def stock(sku: str, **by_warehouse: int) -> list[StockLevel]:
    return [StockLevel(sku, wh, qty, 0) for wh, qty in by_warehouse.items()]


def reservation(
    *allocations: AllocationState, status: ReservationStatus = ReservationStatus.PENDING
) -> Reservation:
    return Reservation(
        id="r1",
        order_id="o1",
        status=status,
        lines=(),
        created_at=T0,
        expires_at=T0 + timedelta(minutes=30),
        allocations=list(allocations),
    )


def test_allocation_fills_highest_priority_warehouse_first() -> None:
    plan = allocate(
        [Line("LED-1", 4)],
        {"LED-1": stock("LED-1", C=10, A=10, B=10)},
        WAREHOUSES,
        allow_backorder=False,
    )
    assert plan.allocations == (Allocation("LED-1", "A", 4),)
    assert not plan.shortfall


def test_allocation_splits_a_line_across_warehouses_by_priority() -> None:
    plan = allocate(
        [Line("LED-1", 12)],
        {"LED-1": stock("LED-1", C=10, B=3, A=5)},
        WAREHOUSES,
        allow_backorder=False,
    )
    assert plan.allocations == (
        Allocation("LED-1", "A", 5),
        Allocation("LED-1", "B", 3),
        Allocation("LED-1", "C", 4),
    )


def test_allocation_counts_only_available_units() -> None:
    levels = [StockLevel("LED-1", "A", 5, 5), StockLevel("LED-1", "B", 4, 1)]
    plan = allocate([Line("LED-1", 3)], {"LED-1": levels}, WAREHOUSES, allow_backorder=False)
    assert plan.allocations == (Allocation("LED-1", "B", 3),)


def test_allocation_skips_inactive_warehouses() -> None:
    warehouses = (Warehouse("A", "HQ", 1, active=False), *WAREHOUSES[1:])
    plan = allocate(
        [Line("LED-1", 2)],
        {"LED-1": stock("LED-1", A=10, B=10)},
        warehouses,
        allow_backorder=False,
    )
    assert plan.allocations == (Allocation("LED-1", "B", 2),)


def test_reservation_is_all_or_nothing_and_reports_shortfall_per_sku() -> None:
    with pytest.raises(InsufficientStock) as err:
        allocate(
            [Line("LED-1", 2), Line("LED-2", 9)],
            {"LED-1": stock("LED-1", A=5), "LED-2": stock("LED-2", A=3, B=2)},
            WAREHOUSES,
            allow_backorder=False,
        )
    assert err.value.details == {"shortfall": {"LED-2": 4}}
    assert err.value.code == "INSUFFICIENT_STOCK"


def test_backorder_reserves_what_exists_and_records_the_rest() -> None:
    plan = allocate(
        [Line("LED-1", 8), Line("LED-9", 2)],
        {"LED-1": stock("LED-1", A=3, C=2)},
        WAREHOUSES,
        allow_backorder=True,
    )
    assert plan.allocations == (Allocation("LED-1", "A", 3), Allocation("LED-1", "C", 2))
    assert plan.shortfall == {"LED-1": 3, "LED-9": 2}


def test_backorder_expected_date_defaults_to_ten_days() -> None:
    assert backorder_expected_date(T0) == date(2026, 12, 1)


def test_lines_are_merged_sorted_and_validated() -> None:
    assert normalize_lines([Line("B", 1), Line("A", 2), Line("B", 3)]) == (
        Line("A", 2),
        Line("B", 4),
    )
    with pytest.raises(ValidationFailed) as err:
        normalize_lines([Line("A", 1), Line("", 0)])
    assert err.value.fields == {
        "lines[1].sku": "is required",
        "lines[1].quantity": "must be greater than 0",
    }
    with pytest.raises(ValidationFailed):
        normalize_lines([])


def test_pending_reservation_expires_only_after_its_deadline() -> None:
    clock = FixedClock(T0)
    res = reservation(AllocationState("LED-1", "A", 2))
    res.expires_at = reservation_expiry(clock.now(), None)
    clock.advance(timedelta(minutes=29, seconds=59))
    assert not res.is_expired(clock.now())
    clock.advance(timedelta(seconds=1))
    assert res.is_expired(clock.now())
    assert res.release(ReleaseReason.EXPIRED) == [Allocation("LED-1", "A", 2)]
    assert res.status == ReservationStatus.EXPIRED


def test_confirmed_reservation_never_expires() -> None:
    res = reservation(AllocationState("LED-1", "A", 2))
    assert res.confirm() is True
    assert res.confirm() is False  # idempotent
    assert not res.is_expired(T0 + timedelta(days=365))


def test_release_is_idempotent_and_cancels_backorders() -> None:
    res = reservation(AllocationState("LED-1", "A", 2, committed=0))
    res.backorders.append(BackorderState(1, "LED-1", 3, date(2026, 12, 1)))
    assert res.release() == [Allocation("LED-1", "A", 2)]
    assert res.backorders[0].status == BackorderStatus.CANCELLED
    assert res.release() == []
    with pytest.raises(ReservationReleased):
        res.confirm()


def test_expired_reservation_cannot_be_confirmed() -> None:
    res = reservation(AllocationState("LED-1", "A", 2))
    res.release(ReleaseReason.EXPIRED)
    with pytest.raises(ReservationExpired):
        res.confirm()


def test_partial_commit_ships_from_priority_warehouses_then_completes() -> None:
    res = reservation(AllocationState("LED-1", "B", 3), AllocationState("LED-1", "A", 2))
    shipped = res.commit([Line("LED-1", 3)], WAREHOUSES)
    assert shipped == [Allocation("LED-1", "A", 2), Allocation("LED-1", "B", 1)]
    after_first: ReservationStatus = res.status
    assert after_first == ReservationStatus.PARTIALLY_COMMITTED
    assert res.expires_at is None
    assert res.commit(None, WAREHOUSES) == [Allocation("LED-1", "B", 2)]
    assert res.status == ReservationStatus.COMMITTED


def test_commit_of_more_than_reserved_is_refused_and_changes_nothing() -> None:
    res = reservation(AllocationState("LED-1", "A", 2))
    with pytest.raises(ExceedsReserved):
        res.commit([Line("LED-1", 3)], WAREHOUSES)
    assert res.allocations[0].committed == 0
    assert res.status == ReservationStatus.PENDING


def test_backorder_fill_goes_first_come_first_served() -> None:
    first, second = reservation(), reservation()
    b1 = BackorderState(1, "LED-1", 3, date(2026, 12, 1))
    b2 = BackorderState(2, "LED-1", 4, date(2026, 12, 1))
    first.backorders.append(b1)
    second.backorders.append(b2)
    plan = plan_backorder_fill([(first, b1), (second, b2)], available=5)
    assert [(r, b.id, q) for r, b, q in plan] == [(first, 1, 3), (second, 2, 2)]
    assert first.fill_backorder(1, "A", 3) == Allocation("LED-1", "A", 3)
    assert b1.status == BackorderStatus.FULFILLED
    assert first.reserved_units() == 3


def test_low_stock_alerts_once_per_crossing_and_rearms() -> None:
    armed = True
    alerts = 0
    for available in (5, 3, 2, 1, 0, 2, 3, 4, 2, 1):
        step = low_stock_transition(armed, available, threshold=3)
        armed = step.armed
        alerts += step.alert
    assert alerts == 2  # 3→2 and, after re-arming at 3, 4→2


def test_adjustment_may_not_cut_into_reserved_units() -> None:
    level = StockLevel("LED-1", "A", on_hand=5, reserved=4)
    check_adjustment(level, -1)
    with pytest.raises(NegativeStock):
        check_adjustment(level, -2)
    with pytest.raises(ValidationFailed):
        check_adjustment(level, 0)


def test_transfer_rules() -> None:
    level = StockLevel("LED-1", "A", on_hand=5, reserved=2)
    check_transfer(level, "LED-1", "B", 3)
    with pytest.raises(InsufficientStock) as err:
        check_transfer(level, "LED-1", "B", 4)
    assert err.value.details == {"shortfall": {"LED-1": 1}}
    with pytest.raises(SameWarehouse):
        check_transfer(level, "LED-1", "A", 1)
    with pytest.raises(ValidationFailed) as bad:
        check_transfer(level, "LED-1", "B", 0)
    assert "quantity" in bad.value.fields


def test_returns_go_back_where_they_were_shipped_from() -> None:
    res = reservation(
        AllocationState("LED-1", "B", 2, committed=2), AllocationState("LED-1", "C", 1, committed=1)
    )
    assert plan_return(res, [Line("LED-1", 4)], WAREHOUSES) == [
        Allocation("LED-1", "A", 1),
        Allocation("LED-1", "B", 2),
        Allocation("LED-1", "C", 1),
    ]
    assert plan_return(None, [Line("LED-2", 2)], WAREHOUSES) == [Allocation("LED-2", "A", 2)]


def test_reconcile_reports_only_disagreeing_rows() -> None:
    healthy = LedgerFigures("LED-1", "A", 5, 2, 5, 2, 2)
    corrupt = LedgerFigures("LED-1", "B", 7, 0, 5, 0, 0)
    found = reconcile([healthy, corrupt])
    assert [(f.warehouse, text) for f, text in found] == [("B", "on_hand 7 but ledger says 5")]


def test_reserving_again_with_the_same_lines_returns_the_same_reservation() -> None:
    res = reservation(AllocationState("LED-1", "A", 3))
    res.lines = normalize_lines([Line("LED-1", 3)])
    assert res.replay(normalize_lines([Line("LED-1", 1), Line("LED-1", 2)])) is res
    with pytest.raises(ReservationMismatch):
        res.replay(normalize_lines([Line("LED-1", 4)]))
    res.release()
    with pytest.raises(ReservationReleased):
        res.replay(normalize_lines([Line("LED-1", 3)]))


def test_expired_reservation_is_not_replayed() -> None:
    res = reservation(AllocationState("LED-1", "A", 3))
    res.lines = normalize_lines([Line("LED-1", 3)])
    res.release(ReleaseReason.EXPIRED)
    with pytest.raises(ReservationExpired):
        res.replay(res.lines)


def test_expiry_deadline_honours_a_requested_lifetime_and_rejects_nonsense() -> None:
    assert reservation_expiry(T0, 60) == T0 + timedelta(seconds=60)
    with pytest.raises(ValidationFailed) as err:
        reservation_expiry(T0, 0)
    assert "expires_in_seconds" in err.value.fields


def test_a_new_threshold_above_what_is_available_is_a_crossing() -> None:
    assert low_stock_transition(armed=True, available=4, threshold=5).alert
    assert not low_stock_transition(armed=False, available=0, threshold=3).alert
