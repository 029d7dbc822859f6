"""The placement saga's states, and the one deterministic rule for a saga left
half-way (crash, lost owner).

Roll forward only when nothing is missing: the prices are stored AND inventory holds
a live reservation for the order. In every other case compensate: release (which also
leaves a tombstone, so a Reserve still in flight fails) and mark the placement FAILED.
So no stock stays reserved for an order that does not exist, and no confirmed order
lacks its reservation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from orders.domain.lines import Backorder


class Placement(StrEnum):
    """State of the placement saga, kept on the order row (the saga log has the steps).

    An order whose placement is PENDING, COMPENSATING, REJECTED or FAILED and that has
    no status is invisible to clients: it never existed for them.
    """

    PENDING = "PENDING"
    COMPENSATING = "COMPENSATING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"  # a business refusal (insufficient stock, unknown sku): replayed
    FAILED = "FAILED"  # an infrastructure failure, compensated: a retry may place again


OPEN_PLACEMENTS = (Placement.PENDING, Placement.COMPENSATING)


class ReservationState(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    PARTIALLY_COMMITTED = "PARTIALLY_COMMITTED"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"


LIVE_RESERVATION = frozenset({ReservationState.PENDING, ReservationState.CONFIRMED})


class RecoveryAction(StrEnum):
    CONFIRM = "CONFIRM"
    COMPENSATE = "COMPENSATE"
    NOTHING = "NOTHING"


def decide_recovery(
    placement: Placement | None, *, prices_stored: bool, reservation: ReservationState | None
) -> RecoveryAction:
    if placement == Placement.COMPENSATING:
        return RecoveryAction.COMPENSATE  # a compensation once begun is always finished
    if placement != Placement.PENDING:
        return RecoveryAction.NOTHING
    if prices_stored and reservation in LIVE_RESERVATION:
        return RecoveryAction.CONFIRM
    return RecoveryAction.COMPENSATE


@dataclass(frozen=True)
class Reservation:
    """Inventory's reservation for an order, as the saga and the recoverer see it."""

    id: str
    order_id: uuid.UUID
    state: ReservationState
    backorders: tuple[Backorder, ...] = ()
