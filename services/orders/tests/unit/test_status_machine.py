"""The transition table of BUSINESS_RULES.md, exactly: every allowed pair passes, every
other pair is ILLEGAL_TRANSITION with {from, to, allowed}."""

from __future__ import annotations

import itertools

import pytest

from orders.domain.status import (
    CANCELLABLE,
    TERMINAL,
    TRANSITIONS,
    OrderStatus,
    allowed_next,
    check_transition,
)
from orders.errors import IllegalTransition

S = OrderStatus

# Copied by hand from BUSINESS_RULES.md "Orders — 14 statuses", independent of the code.
DOCUMENTED = {
    ("QUOTE_PENDING", "QUOTE_SENT"), ("QUOTE_PENDING", "CANCELLED"),
    ("QUOTE_SENT", "QUOTE_ACCEPTED"), ("QUOTE_SENT", "CANCELLED"),
    ("QUOTE_ACCEPTED", "ORDER_CONFIRMED"), ("QUOTE_ACCEPTED", "CANCELLED"),
    ("ORDER_CONFIRMED", "SUPPLIER_ORDER_PLACED"), ("ORDER_CONFIRMED", "IN_PREPARATION"),
    ("ORDER_CONFIRMED", "CANCELLED"),
    ("SUPPLIER_ORDER_PLACED", "AWAITING_DELIVERY"), ("SUPPLIER_ORDER_PLACED", "CANCELLED"),
    ("AWAITING_DELIVERY", "IN_PREPARATION"), ("AWAITING_DELIVERY", "CANCELLED"),
    ("IN_PREPARATION", "READY_TO_SHIP"), ("IN_PREPARATION", "CANCELLED"),
    ("READY_TO_SHIP", "SHIPPED"), ("READY_TO_SHIP", "CANCELLED"),
    ("SHIPPED", "DELIVERED"), ("SHIPPED", "RETURNED"),
    ("DELIVERED", "INVOICED"), ("DELIVERED", "RETURNED"),
    ("INVOICED", "PAID"), ("INVOICED", "RETURNED"),
    ("PAID", "RETURNED"),
}  # fmt: skip

# The lifecycle order of BUSINESS_RULES.md, in which `allowed` lists the next statuses.
LIFECYCLE = [
    "QUOTE_PENDING", "QUOTE_SENT", "QUOTE_ACCEPTED", "ORDER_CONFIRMED",
    "SUPPLIER_ORDER_PLACED", "AWAITING_DELIVERY", "IN_PREPARATION", "READY_TO_SHIP",
    "SHIPPED", "DELIVERED", "INVOICED", "PAID", "RETURNED", "CANCELLED",
]  # fmt: skip


def documented_next(source: str) -> list[str]:
    return [target for target in LIFECYCLE if (source, target) in DOCUMENTED]


def test_there_are_exactly_14_statuses() -> None:
    assert [s.value for s in OrderStatus] == LIFECYCLE
    assert set(TRANSITIONS) == set(OrderStatus)


@pytest.mark.parametrize(("source", "target"), sorted(DOCUMENTED))
def test_every_documented_transition_is_allowed(source: str, target: str) -> None:
    check_transition(OrderStatus(source), OrderStatus(target))


def test_the_table_allows_nothing_beyond_the_documented_transitions() -> None:
    coded = {(a.value, b.value) for a, nexts in TRANSITIONS.items() for b in nexts}
    assert coded == DOCUMENTED


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (S.QUOTE_PENDING, S.ORDER_CONFIRMED),
        (S.ORDER_CONFIRMED, S.SHIPPED),
        (S.ORDER_CONFIRMED, S.READY_TO_SHIP),
        (S.IN_PREPARATION, S.SHIPPED),
        (S.SHIPPED, S.CANCELLED),
        (S.DELIVERED, S.CANCELLED),
        (S.PAID, S.INVOICED),
        (S.RETURNED, S.SHIPPED),
        (S.CANCELLED, S.ORDER_CONFIRMED),
        (S.DELIVERED, S.SHIPPED),
    ],
)
def test_a_forbidden_transition_names_from_to_and_allowed(source: S, target: S) -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_transition(source, target)
    assert caught.value.code == "ILLEGAL_TRANSITION"
    assert caught.value.details == {
        "from": source.value,
        "to": target.value,
        "allowed": documented_next(source.value),
    }


def test_every_undocumented_pair_is_rejected() -> None:
    for source, target in itertools.product(OrderStatus, OrderStatus):
        if (source.value, target.value) in DOCUMENTED:
            continue
        with pytest.raises(IllegalTransition):
            check_transition(source, target)


def test_returned_and_cancelled_are_terminal() -> None:
    assert {S.RETURNED, S.CANCELLED} == TERMINAL


def test_cancellation_is_possible_only_before_shipped() -> None:
    assert S.SHIPPED not in CANCELLABLE
    assert S.READY_TO_SHIP in CANCELLABLE
    assert S.DELIVERED not in CANCELLABLE


@pytest.mark.parametrize("source", LIFECYCLE)
def test_allowed_next_lists_statuses_in_lifecycle_order(source: str) -> None:
    assert allowed_next(OrderStatus(source)) == documented_next(source)
