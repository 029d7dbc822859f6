"""The 14 order statuses and EXACTLY the transition table of BUSINESS_RULES.md."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from orders.errors import IllegalTransition


class OrderStatus(StrEnum):
    QUOTE_PENDING = "QUOTE_PENDING"
    QUOTE_SENT = "QUOTE_SENT"
    QUOTE_ACCEPTED = "QUOTE_ACCEPTED"
    ORDER_CONFIRMED = "ORDER_CONFIRMED"
    SUPPLIER_ORDER_PLACED = "SUPPLIER_ORDER_PLACED"
    AWAITING_DELIVERY = "AWAITING_DELIVERY"
    IN_PREPARATION = "IN_PREPARATION"
    READY_TO_SHIP = "READY_TO_SHIP"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    INVOICED = "INVOICED"
    PAID = "PAID"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"


S = OrderStatus

TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    S.QUOTE_PENDING: frozenset({S.QUOTE_SENT, S.CANCELLED}),
    S.QUOTE_SENT: frozenset({S.QUOTE_ACCEPTED, S.CANCELLED}),
    S.QUOTE_ACCEPTED: frozenset({S.ORDER_CONFIRMED, S.CANCELLED}),
    S.ORDER_CONFIRMED: frozenset({S.SUPPLIER_ORDER_PLACED, S.IN_PREPARATION, S.CANCELLED}),
    S.SUPPLIER_ORDER_PLACED: frozenset({S.AWAITING_DELIVERY, S.CANCELLED}),
    S.AWAITING_DELIVERY: frozenset({S.IN_PREPARATION, S.CANCELLED}),
    S.IN_PREPARATION: frozenset({S.READY_TO_SHIP, S.CANCELLED}),
    S.READY_TO_SHIP: frozenset({S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.RETURNED}),
    S.DELIVERED: frozenset({S.INVOICED, S.RETURNED}),
    S.INVOICED: frozenset({S.PAID, S.RETURNED}),
    S.PAID: frozenset({S.RETURNED}),
    S.RETURNED: frozenset(),
    S.CANCELLED: frozenset(),
}

TERMINAL: frozenset[OrderStatus] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)

# Statuses from which an order may still be cancelled (before SHIPPED).
CANCELLABLE: frozenset[OrderStatus] = frozenset(
    s for s, nxt in TRANSITIONS.items() if S.CANCELLED in nxt
)

# Goods have left the warehouse: a return is possible.
RETURNABLE: frozenset[OrderStatus] = frozenset(
    s for s, nxt in TRANSITIONS.items() if S.RETURNED in nxt
)


def allowed_next(current: OrderStatus) -> list[str]:
    """The statuses reachable from `current`, in the table's (lifecycle) order."""
    return [s.value for s in OrderStatus if s in TRANSITIONS[current]]


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Raise ILLEGAL_TRANSITION with {from, to, allowed} unless the table allows it."""
    if not can_transition(current, target):
        raise IllegalTransition(
            f"an order in {current.value} cannot move to {target.value}",
            details={"from": current.value, "to": target.value, "allowed": allowed_next(current)},
        )
