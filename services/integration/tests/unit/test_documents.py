"""The document's life: intent before the call, outcome after; never a guess."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from integration.domain.documents import Document, Issued, PaymentSeen, PaymentStatus, Phase
from integration.errors import IllegalDocumentState

from .factories import AT, invoice


def phase(doc: Document) -> Phase:
    """Read afresh: each transition changes it (mypy would keep the narrowed value)."""
    return doc.phase


def test_issued_after_the_intent_records_the_number_and_the_change() -> None:
    doc = invoice()
    doc.begin_attempt(23, AT)
    assert phase(doc) == Phase.IN_FLIGHT
    assert doc.number_floor == 23
    doc.issued("0023", AT)
    assert phase(doc) == Phase.ISSUED
    assert doc.number == "0023"
    assert doc.changes == [Issued(AT)]


def test_a_document_cannot_be_sent_twice_without_an_outcome() -> None:
    doc = invoice()
    doc.begin_attempt(1, AT)
    with pytest.raises(IllegalDocumentState):
        doc.begin_attempt(1, AT)


def test_an_uncertain_document_is_never_sent_again_before_the_lookup() -> None:
    doc = invoice()
    doc.begin_attempt(1, AT)
    doc.uncertain("read timeout", AT)
    with pytest.raises(IllegalDocumentState):
        doc.begin_attempt(1, AT)
    doc.absent(AT)
    doc.begin_attempt(1, AT)
    assert doc.attempts == 2


def test_an_unresolved_lookup_stops_for_review_and_a_retry_looks_up_again() -> None:
    doc = invoice()
    doc.begin_attempt(1, AT)
    doc.uncertain("read timeout", AT)
    doc.unresolved("several new numbers", AT)
    assert phase(doc) == Phase.FAILED
    assert doc.needs_review
    assert not doc.retry_due(AT + timedelta(days=30))
    doc.retry(AT)
    assert phase(doc) == Phase.UNCERTAIN


def test_a_refusal_is_retried_only_when_due() -> None:
    doc = invoice()
    doc.begin_attempt(1, AT)
    doc.refused("Cota TVA inexistenta", AT, AT + timedelta(minutes=5))
    assert phase(doc) == Phase.FAILED
    assert doc.refusals == 1
    assert not doc.retry_due(AT)
    assert doc.retry_due(AT + timedelta(minutes=5))


def test_not_sent_goes_back_to_the_queue() -> None:
    doc = invoice()
    doc.begin_attempt(1, AT)
    doc.not_sent("blocked", AT)
    assert phase(doc) == Phase.QUEUED


def test_payments_are_recorded_once_per_change_and_fully_paid_ends_at_paid() -> None:
    doc = invoice()
    doc.begin_attempt(1, AT)
    doc.issued("0001", AT)
    doc.changes.clear()
    first = doc.record_payment(paid=Decimal("50.00"), unpaid=Decimal("99.44"), at=AT)
    assert first is not None
    assert first.amount == Decimal("50.00")
    assert first.status == PaymentStatus.PARTIALLY_PAID
    assert doc.record_payment(paid=Decimal("50.00"), unpaid=Decimal("99.44"), at=AT) is None
    second = doc.record_payment(paid=Decimal("149.44"), unpaid=Decimal("0"), at=AT)
    assert second == PaymentSeen(
        amount=Decimal("99.44"),
        total_paid=Decimal("149.44"),
        unpaid=Decimal("0"),
        fully_paid=True,
        status=PaymentStatus.PAID,
        at=AT,
    )
    assert doc.payment_status == PaymentStatus.PAID


def test_a_cancelled_invoice_keeps_its_number() -> None:
    doc = invoice()
    doc.begin_attempt(1, AT)
    doc.issued("0001", AT)
    doc.cancel(AT)
    assert phase(doc) == Phase.CANCELLED
    assert doc.number == "0001"
