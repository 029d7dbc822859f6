"""The SmartBill document aggregate (invoice, proforma, credit note) and its life:
intent recorded → call out → issued / refused / uncertain → (looked up) → issued or
queued again; then payments and cancellation. Every call's intent is stored before the
call and its outcome after it, so no outcome is ever guessed.

    QUEUED ──begin_attempt──▶ IN_FLIGHT ──issued──▶ ISSUED ──cancel──▶ CANCELLED
      ▲                          │  │ └──refused──▶ FAILED (auto retry when due, or by hand)
      └──────── not_sent ────────┘  └──uncertain──▶ UNCERTAIN ──found──▶ ISSUED
      └──────────────────── absent ───────────────────┘  └──unknown──▶ FAILED (review)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from integration.domain.billing import ZERO, BillingSource, Draft, Totals
from integration.errors import IllegalDocumentState


class DocumentKind(StrEnum):
    INVOICE = "INVOICE"
    PROFORMA = "PROFORMA"
    CREDIT_NOTE = "CREDIT_NOTE"


class Phase(StrEnum):
    QUEUED = "QUEUED"  # waiting for its turn (or for SmartBill to come back)
    IN_FLIGHT = "IN_FLIGHT"  # intent stored, the call is out, no outcome stored yet
    UNCERTAIN = "UNCERTAIN"  # outcome unknown: look it up before anything else
    ISSUED = "ISSUED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def pending(self) -> bool:
        return self in (Phase.QUEUED, Phase.IN_FLIGHT, Phase.UNCERTAIN)


class PaymentStatus(StrEnum):
    UNPAID = "UNPAID"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"


@dataclass(frozen=True)
class DocRef:
    series: str
    number: str


@dataclass(frozen=True)
class Issued:
    at: datetime


@dataclass(frozen=True)
class PaymentSeen:
    amount: Decimal  # this payment (the increase since the last poll)
    total_paid: Decimal
    unpaid: Decimal
    fully_paid: bool
    status: PaymentStatus
    at: datetime


@dataclass(frozen=True)
class Cancelled:
    at: datetime


Change = Issued | PaymentSeen | Cancelled


@dataclass
class Document:
    id: uuid.UUID
    kind: DocumentKind
    order_id: uuid.UUID
    customer_id: str
    series: str
    source: BillingSource
    vat_date: date
    created_at: datetime
    updated_at: datetime
    phase: Phase = Phase.QUEUED
    number: str | None = None
    draft: Draft | None = None
    # Invoice made from this proforma (SmartBill useEstimateDetails).
    estimate: DocRef | None = None
    # Credit documents: the invoice they credit; storno = the whole invoice reversed.
    credit_of: uuid.UUID | None = None
    credit_of_ref: DocRef | None = None
    storno: bool = False
    return_id: str | None = None
    # The series' next number as known when the last call went out (see reconciliation).
    number_floor: int | None = None
    attempts: int = 0
    refusals: int = 0
    next_attempt_at: datetime | None = None
    needs_review: bool = False
    error: str = ""
    total_paid: Decimal = ZERO
    payment_status: PaymentStatus = PaymentStatus.UNPAID
    paid_at: datetime | None = None
    version: int = 1
    changes: list[Change] = field(default_factory=list)

    # -- reading ----------------------------------------------------------------------
    @property
    def totals(self) -> Totals | None:
        if self.draft is not None:
            return self.draft.totals
        return None

    @property
    def ref(self) -> DocRef | None:
        return None if self.number is None else DocRef(self.series, self.number)

    @property
    def issue_date(self) -> date | None:
        return self.draft.issue_date if self.draft is not None else None

    @property
    def due_date(self) -> date | None:
        return self.draft.due_date if self.draft is not None else None

    def _require(self, wanted: str, *phases: Phase) -> None:
        if self.phase not in phases:
            raise IllegalDocumentState(str(self.id), self.phase.value, wanted)

    def _touch(self, at: datetime) -> None:
        self.updated_at = at
        self.version += 1

    # -- before the call --------------------------------------------------------------
    def prepared(self, draft: Draft, at: datetime) -> None:
        """The body to send, built once: every attempt sends exactly this."""
        self._require("prepare", Phase.QUEUED)
        self.draft = draft
        self._touch(at)

    def prepared_credit(self, draft: Draft, *, storno: bool, invoice: DocRef, at: datetime) -> None:
        """A credit document planned against its issued invoice."""
        self._require("prepare", Phase.QUEUED)
        self.draft = draft
        self.storno = storno
        self.credit_of_ref = invoice
        self._touch(at)

    def from_estimate(self, estimate: DocRef, at: datetime) -> None:
        """The invoice will be made from this proforma (SmartBill useEstimateDetails)."""
        self._require("use a proforma", Phase.QUEUED)
        self.estimate = estimate
        self._touch(at)

    def begin_attempt(self, floor: int, at: datetime) -> None:
        """The intent: stored (and committed) before the call goes out."""
        self._require("send", Phase.QUEUED)
        if self.draft is None:
            raise IllegalDocumentState(str(self.id), "unprepared", "send")
        self.phase = Phase.IN_FLIGHT
        self.number_floor = floor
        self.attempts += 1
        self._touch(at)

    # -- after the call ----------------------------------------------------------------
    def issued(self, number: str, at: datetime) -> None:
        self._require("record as issued", Phase.IN_FLIGHT, Phase.UNCERTAIN)
        self.phase = Phase.ISSUED
        self.number = number
        self.error = ""
        self.needs_review = False
        self.next_attempt_at = None
        self.changes.append(Issued(at))
        self._touch(at)

    def not_sent(self, error: str, at: datetime) -> None:
        """SmartBill certainly did not act (no connection, blocked, circuit open)."""
        self._require("requeue", Phase.IN_FLIGHT)
        self.phase = Phase.QUEUED
        self.error = error
        self._touch(at)

    def uncertain(self, error: str, at: datetime) -> None:
        self._require("mark uncertain", Phase.IN_FLIGHT)
        self.phase = Phase.UNCERTAIN
        self.error = error
        self._touch(at)

    def absent(self, at: datetime) -> None:
        """The lookup proved nothing was created: sending again is safe."""
        self._require("requeue", Phase.UNCERTAIN)
        self.phase = Phase.QUEUED
        self._touch(at)

    def refused(self, error: str, at: datetime, retry_at: datetime | None) -> None:
        """SmartBill said no (validation, business rule): nothing was created."""
        self._require("record a refusal", Phase.IN_FLIGHT)
        self.phase = Phase.FAILED
        self.error = error
        self.refusals += 1
        self.next_attempt_at = retry_at
        self._touch(at)

    def unresolved(self, reason: str, at: datetime) -> None:
        """The lookup could not tell: stop and wait for a person, never resend."""
        self._require("stop for review", Phase.UNCERTAIN)
        self.phase = Phase.FAILED
        self.needs_review = True
        self.error = f"outcome unknown, check SmartBill by hand: {reason}"
        self.next_attempt_at = None
        self._touch(at)

    def refused_before_sending(self, error: str, at: datetime) -> None:
        """Our own checks refused it (customer data, VAT category): a person fixes the
        data and asks again; nothing went to SmartBill."""
        self._require("refuse", Phase.QUEUED, Phase.FAILED)
        self.phase = Phase.FAILED
        self.error = error
        self.next_attempt_at = None
        self._touch(at)

    # -- retries -------------------------------------------------------------------------
    def retry_due(self, now: datetime) -> bool:
        return (
            self.phase == Phase.FAILED
            and not self.needs_review
            and self.next_attempt_at is not None
            and self.next_attempt_at <= now
        )

    def retry(self, at: datetime, *, source: BillingSource | None = None) -> None:
        """Back in the queue. A document stopped for review goes back to the lookup, never
        straight to a resend; a refused one is rebuilt from fresh data when given."""
        self._require("retry", Phase.FAILED)
        if self.needs_review:
            self.phase = Phase.UNCERTAIN
            self.needs_review = False
        else:
            self.phase = Phase.QUEUED
            if source is not None and not self.storno and self.kind != DocumentKind.CREDIT_NOTE:
                self.source = source
                self.draft = None
        self.next_attempt_at = None
        self._touch(at)

    # -- after issue -----------------------------------------------------------------------
    def record_payment(self, *, paid: Decimal, unpaid: Decimal, at: datetime) -> PaymentSeen | None:
        """SmartBill's payment state of the invoice; a change is recorded once."""
        self._require("record a payment", Phase.ISSUED)
        if paid <= self.total_paid:
            return None
        fully = unpaid <= 0
        status = PaymentStatus.PAID if fully else PaymentStatus.PARTIALLY_PAID
        seen = PaymentSeen(
            amount=paid - self.total_paid,
            total_paid=paid,
            unpaid=max(unpaid, ZERO),
            fully_paid=fully,
            status=status,
            at=at,
        )
        self.total_paid = paid
        self.payment_status = status
        self.paid_at = at
        self.changes.append(seen)
        self._touch(at)
        return seen

    def cancel(self, at: datetime) -> None:
        """SmartBill cancelled it: the number stays used (never deleted, no gap)."""
        self._require("cancel", Phase.ISSUED)
        self.phase = Phase.CANCELLED
        self.changes.append(Cancelled(at))
        self._touch(at)
