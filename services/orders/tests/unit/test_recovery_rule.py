"""The saga recovery rule: confirm iff prices stored and a live reservation exists."""

from __future__ import annotations

import pytest

from orders.domain.placement import (
    Placement,
    RecoveryAction,
    ReservationState,
    decide_recovery,
)

R = ReservationState


@pytest.mark.parametrize("state", [R.PENDING, R.CONFIRMED])
def test_a_priced_order_with_a_live_reservation_is_confirmed(state: R) -> None:
    action = decide_recovery(Placement.PENDING, prices_stored=True, reservation=state)
    assert action == RecoveryAction.CONFIRM


@pytest.mark.parametrize("state", [None, R.RELEASED, R.EXPIRED, R.COMMITTED, R.PARTIALLY_COMMITTED])
def test_without_a_live_reservation_the_saga_is_compensated(state: R | None) -> None:
    action = decide_recovery(Placement.PENDING, prices_stored=True, reservation=state)
    assert action == RecoveryAction.COMPENSATE


def test_a_reservation_without_stored_prices_is_released() -> None:
    action = decide_recovery(Placement.PENDING, prices_stored=False, reservation=R.PENDING)
    assert action == RecoveryAction.COMPENSATE


def test_a_compensation_once_begun_is_always_finished() -> None:
    action = decide_recovery(Placement.COMPENSATING, prices_stored=True, reservation=R.CONFIRMED)
    assert action == RecoveryAction.COMPENSATE


@pytest.mark.parametrize(
    "placement", [Placement.CONFIRMED, Placement.REJECTED, Placement.FAILED, None]
)
def test_finished_sagas_are_left_alone(placement: Placement | None) -> None:
    action = decide_recovery(placement, prices_stored=True, reservation=R.PENDING)
    assert action == RecoveryAction.NOTHING
