"""The quotation's status machine, totals and conversion mark."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quotations.domain.model import (
    Accepted,
    Created,
    Expired,
    Quotation,
    Rejected,
    Sent,
    Status,
    new_quotation,
)
from quotations.errors import (
    DomainError,
    IllegalTransition,
    NotAccepted,
    NotDraft,
    QuotationExpired,
    ValidationFailed,
)

from .factories import CUSTOMER, T0, draft, priced

DAYS15 = timedelta(days=15)
REMINDERS = (timedelta(days=7), timedelta(days=1))


def status(q: Quotation) -> Status:
    """The status, read through a call (mypy would keep an earlier narrowing)."""
    return q.status


def sent(q: Quotation | None = None) -> Quotation:
    q = q or draft()
    q.send(T0, validity=DAYS15, reminders=REMINDERS)
    q.take_changes()
    return q


def test_a_new_quotation_is_a_draft_with_the_sum_of_its_lines() -> None:
    q = new_quotation(
        quotation_id=uuid.uuid4(),
        number="OF-2026-0001",
        customer_id=uuid.uuid4(),
        customer=CUSTOMER,
        priced=[priced("A-1", 2, "10.00"), priced("B-1", 3, "5.55")],
        pricing_date="2026-12-03",
        at=T0,
    )
    assert q.status is Status.DRAFT
    assert q.version == 1
    assert q.recipient_email == CUSTOMER.email
    assert q.totals.net == Decimal("36.65")
    assert q.totals.vat == Decimal("4.20") + Decimal("3.50")
    assert q.totals.gross == q.totals.net + q.totals.vat
    assert q.take_changes() == [Created(at=T0)]


def test_sending_sets_valid_until_from_the_sending_time() -> None:
    q = draft()
    later = T0 + timedelta(hours=3)
    q.send(later, validity=DAYS15, reminders=REMINDERS, message="Bună ziua")
    assert q.status is Status.SENT
    assert q.sent_at == later
    assert q.valid_until == later + DAYS15
    assert q.changes == [Sent(at=later, message="Bună ziua")]
    assert q.next_reminder_at == later + DAYS15 - timedelta(days=7)


def test_accept_of_a_draft_is_refused_with_the_allowed_statuses() -> None:
    q = draft()
    with pytest.raises(IllegalTransition) as caught:
        q.accept(T0)
    assert caught.value.details == {
        "from": "DRAFT",
        "to": "ACCEPTED",
        "allowed": ["SENT"],
        "allowed_from": ["SENT"],
    }
    assert q.status is Status.DRAFT
    assert q.version == 1
    assert q.changes == []


def test_accept_after_validity_is_refused_as_expired() -> None:
    q = sent()
    with pytest.raises(QuotationExpired):
        q.accept(T0 + DAYS15)
    assert q.status is Status.SENT
    q.accept(T0 + DAYS15 - timedelta(seconds=1))
    assert status(q) is Status.ACCEPTED
    assert q.changes == [Accepted(at=T0 + DAYS15 - timedelta(seconds=1))]


def test_reject_keeps_the_reason() -> None:
    q = sent()
    q.reject(T0 + timedelta(days=1), "prea scump")
    assert (q.status, q.rejection_reason) == (Status.REJECTED, "prea scump")
    assert q.changes == [Rejected(at=T0 + timedelta(days=1), reason="prea scump")]


def test_expiry_happens_only_once_validity_is_over() -> None:
    q = sent()
    assert not q.expire(T0 + DAYS15 - timedelta(microseconds=1))
    assert q.status is Status.SENT
    assert q.expire(T0 + DAYS15)
    assert status(q) is Status.EXPIRED
    assert q.changes == [Expired(at=T0 + DAYS15)]
    assert not q.expire(T0 + DAYS15 * 2)


def test_only_a_draft_is_edited() -> None:
    q = sent()
    with pytest.raises(NotDraft) as caught:
        q.edit(T0, notes="x")
    assert caught.value.details["allowed"] == ["DRAFT"]
    assert caught.value.details["status"] == "SENT"


def test_editing_lines_replaces_them_and_bumps_the_version() -> None:
    q = draft()
    q.edit(T0, repriced=[priced("Z-9", 4, "1.00")], pricing_date="2026-12-04")
    assert [ln.sku for ln in q.lines] == ["Z-9"]
    assert q.pricing_date == "2026-12-04"
    assert q.version == 2
    with pytest.raises(ValidationFailed):
        q.edit(T0, repriced=[])


def test_sending_needs_a_recipient() -> None:
    q = draft()
    q.recipient_email = ""
    q.customer = type(CUSTOMER)(name="Fără e-mail", email="")
    with pytest.raises(ValidationFailed) as caught:
        q.send(T0, validity=DAYS15, reminders=REMINDERS)
    assert "recipient_email" in caught.value.fields
    assert q.status is Status.DRAFT


def test_conversion_needs_an_accepted_quotation_and_is_recorded_once() -> None:
    q = sent()
    order_id = uuid.uuid4()
    with pytest.raises(NotAccepted) as caught:
        q.mark_converted(order_id, "CMD-2026-000001", T0)
    assert caught.value.details["allowed"] == ["ACCEPTED"]
    q.accept(T0)
    assert q.mark_converted(order_id, "CMD-2026-000001", T0)
    version = q.version
    assert not q.mark_converted(uuid.uuid4(), "CMD-2026-000002", T0)
    assert (q.order_id, q.order_number, q.version) == (order_id, "CMD-2026-000001", version)


def test_lines_in_two_currencies_are_refused() -> None:
    eur = priced("E-1", 1)
    eur = type(eur)(**{**eur.__dict__, "currency": "EUR"})
    with pytest.raises(ValidationFailed):
        new_quotation(
            quotation_id=uuid.uuid4(),
            number="OF-2026-0001",
            customer_id=uuid.uuid4(),
            customer=CUSTOMER,
            priced=[priced("A-1", 1), eur],
            pricing_date="2026-12-03",
            at=T0,
        )


# -- property: whatever is tried, only the table's transitions happen ---------------------
ACTIONS: dict[str, Callable[[Quotation, int], object]] = {
    "send": lambda q, h: q.send(T0 + timedelta(hours=h), validity=DAYS15, reminders=REMINDERS),
    "accept": lambda q, h: q.accept(T0 + timedelta(hours=h)),
    "reject": lambda q, h: q.reject(T0 + timedelta(hours=h), "nu"),
    "expire": lambda q, h: q.expire(T0 + timedelta(hours=h)),
    "edit": lambda q, h: q.edit(T0 + timedelta(hours=h), notes="n"),
    "remind": lambda q, h: q.remind(T0 + timedelta(hours=h)),
}
ALLOWED = {
    Status.DRAFT: {Status.DRAFT, Status.SENT},
    Status.SENT: {Status.SENT, Status.ACCEPTED, Status.REJECTED, Status.EXPIRED},
    Status.ACCEPTED: {Status.ACCEPTED},
    Status.REJECTED: {Status.REJECTED},
    Status.EXPIRED: {Status.EXPIRED},
}


@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(ACTIONS)), st.integers(min_value=0, max_value=800)),
        max_size=25,
    )
)
def test_any_sequence_of_actions_follows_the_table(steps: list[tuple[str, int]]) -> None:
    q = draft()
    hours = 0
    for name, delta in steps:
        hours += delta
        before_status, before_version = q.status, q.version
        try:
            ACTIONS[name](q, hours)
        except DomainError:
            # A refused change changes nothing.
            assert (q.status, q.version) == (before_status, before_version)
            continue
        assert q.status in ALLOWED[before_status]
        assert q.version >= before_version
        if q.status is not before_status:
            assert q.version == before_version + 1
        if q.status is Status.SENT:
            assert q.valid_until is not None
            assert q.sent_at is not None
            assert q.valid_until - q.sent_at == DAYS15
