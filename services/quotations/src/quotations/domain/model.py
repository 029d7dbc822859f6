"""The quotation aggregate: priced lines locked when priced, the DRAFT → SENT →
ACCEPTED | REJECTED | EXPIRED machine, reminders, and the CONVERTED mark.

Every change bumps `version` and records what happened in `changes` (plain
dataclasses), which `quotations.events` turns into published events.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from quotations.domain.timeline import ReminderPlan
from quotations.errors import (
    IllegalTransition,
    NotAccepted,
    NotDraft,
    QuotationExpired,
    ValidationFailed,
)


class Status(StrEnum):
    DRAFT = "DRAFT"
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


TRANSITIONS: Mapping[Status, tuple[Status, ...]] = {
    Status.DRAFT: (Status.SENT,),
    Status.SENT: (Status.ACCEPTED, Status.REJECTED, Status.EXPIRED),
    Status.ACCEPTED: (),
    Status.REJECTED: (),
    Status.EXPIRED: (),
}


def allowed_next(status: Status) -> list[str]:
    return [s.value for s in TRANSITIONS[status]]


def allowed_from(target: Status) -> list[str]:
    return [s.value for s, nexts in TRANSITIONS.items() if target in nexts]


@dataclass(frozen=True)
class LinePrice:
    """A line as pricing priced it, kept verbatim: the document, the totals and the
    converted order all use exactly these figures."""

    sku: str
    quantity: int
    name: str
    unit: str
    unit_cost: Decimal
    list_price: Decimal
    tier: str
    tier_discount_pct: Decimal
    volume_discount_pct: Decimal
    promotion_discount_pct: Decimal
    unit_net: Decimal
    vat_rate: Decimal
    unit_gross: Decimal
    line_net: Decimal
    line_vat: Decimal
    line_gross: Decimal
    margin_pct: Decimal
    margin_floor_applied: bool
    currency: str
    promotion_id: str
    vat_category: str
    pricing_date: str


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal

    @staticmethod
    def of(lines: Sequence[LinePrice]) -> Totals:
        """Document totals: sums of the line figures (line VAT is already rounded)."""
        net = sum((ln.line_net for ln in lines), Decimal("0.00"))
        vat = sum((ln.line_vat for ln in lines), Decimal("0.00"))
        gross = sum((ln.line_gross for ln in lines), Decimal("0.00"))
        return Totals(net=net, vat=vat, gross=gross)


@dataclass(frozen=True)
class Address:
    line1: str = ""
    line2: str = ""
    city: str = ""
    county: str = ""
    postal_code: str = ""
    country: str = ""

    def lines(self) -> list[str]:
        """The address as printed: street lines, then "postal code city, county", country."""
        place = " ".join(p for p in (self.postal_code, self.city) if p)
        if self.county:
            place = f"{place}, {self.county}" if place else self.county
        return [p for p in (self.line1, self.line2, place, self.country) if p]


@dataclass(frozen=True)
class CustomerSnapshot:
    """The customer's billing data when the quotation was priced."""

    name: str
    email: str
    company: str = ""
    vat_code: str = ""
    address: Address = field(default_factory=Address)
    phone: str = ""


# -- recorded changes ---------------------------------------------------------------------
@dataclass(frozen=True)
class Created:
    at: datetime


@dataclass(frozen=True)
class Sent:
    at: datetime
    message: str


@dataclass(frozen=True)
class Accepted:
    at: datetime


@dataclass(frozen=True)
class Rejected:
    at: datetime
    reason: str


@dataclass(frozen=True)
class Expired:
    at: datetime


@dataclass(frozen=True)
class ReminderDue:
    at: datetime
    before_expiry: timedelta


Change = Created | Sent | Accepted | Rejected | Expired | ReminderDue


@dataclass
class Quotation:
    id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    customer: CustomerSnapshot
    lines: list[LinePrice]
    currency: str
    pricing_date: str
    created_at: datetime
    updated_at: datetime
    status: Status = Status.DRAFT
    notes: str = ""
    recipient_email: str = ""
    source_order_id: uuid.UUID | None = None
    sent_at: datetime | None = None
    valid_until: datetime | None = None
    send_message: str = ""
    reminder_plan: ReminderPlan | None = None
    accepted_at: datetime | None = None
    rejected_at: datetime | None = None
    rejection_reason: str = ""
    expired_at: datetime | None = None
    order_id: uuid.UUID | None = None
    order_number: str = ""
    converted_at: datetime | None = None
    version: int = 1
    changes: list[Change] = field(default_factory=list)

    # -- reads ---------------------------------------------------------------------------
    @property
    def totals(self) -> Totals:
        return Totals.of(self.lines)

    @property
    def reminders_sent(self) -> tuple[timedelta, ...]:
        return self.reminder_plan.handled if self.reminder_plan else ()

    @property
    def next_reminder_at(self) -> datetime | None:
        """When the job should look at this quotation for a reminder; None = never."""
        if self.status is not Status.SENT or self.reminder_plan is None:
            return None
        return self.reminder_plan.next_at()

    @property
    def converted(self) -> bool:
        return self.order_id is not None

    def pdf_filename(self) -> str:
        return f"{self.number}.pdf"

    # -- changes -------------------------------------------------------------------------
    def _move(self, target: Status, at: datetime) -> None:
        if target not in TRANSITIONS[self.status]:
            raise IllegalTransition(
                self.status.value, target.value, allowed_next(self.status), allowed_from(target)
            )
        self.status = target
        self._touch(at)

    def _touch(self, at: datetime) -> None:
        self.updated_at = at
        self.version += 1

    def edit(
        self,
        at: datetime,
        *,
        notes: str | None = None,
        recipient_email: str | None = None,
        repriced: Sequence[LinePrice] | None = None,
        pricing_date: str | None = None,
    ) -> None:
        """Change a DRAFT: notes, recipient, or all lines (already re-priced)."""
        if self.status is not Status.DRAFT:
            raise NotDraft(str(self.id), self.status.value)
        if notes is not None:
            self.notes = notes
        if recipient_email is not None:
            self.recipient_email = recipient_email
        if repriced is not None:
            if not repriced:
                raise ValidationFailed({"lines": "at least one line is required"})
            self.lines = list(repriced)
            self.pricing_date = pricing_date or self.pricing_date
        self._touch(at)

    def send(
        self,
        at: datetime,
        *,
        validity: timedelta,
        reminders: Sequence[timedelta],
        recipient_email: str = "",
        message: str = "",
    ) -> None:
        """DRAFT → SENT: valid for `validity` from now, with reminders `reminders`
        before expiry (offsets longer than the validity can never fire and are dropped)."""
        recipient = recipient_email or self.recipient_email or self.customer.email
        if not recipient:
            raise ValidationFailed(
                {"recipient_email": "the customer has no e-mail address; give one"}
            )
        self._move(Status.SENT, at)
        self.recipient_email = recipient
        self.sent_at = at
        self.valid_until = at + validity
        self.send_message = message
        self.reminder_plan = ReminderPlan.of(
            valid_until=self.valid_until, offsets=[r for r in reminders if r < validity]
        )
        self.changes.append(Sent(at=at, message=message))

    def accept(self, at: datetime) -> None:
        if self.status is Status.SENT and self.valid_until is not None and at >= self.valid_until:
            raise QuotationExpired(
                f"quotation {self.number} expired at {self.valid_until.isoformat()}",
                details={"valid_until": self.valid_until.isoformat(), "status": "SENT"},
            )
        self._move(Status.ACCEPTED, at)
        self.accepted_at = at
        self.changes.append(Accepted(at=at))

    def reject(self, at: datetime, reason: str = "") -> None:
        self._move(Status.REJECTED, at)
        self.rejected_at = at
        self.rejection_reason = reason
        self.changes.append(Rejected(at=at, reason=reason))

    def is_expired_at(self, at: datetime) -> bool:
        return (
            self.status is Status.SENT and self.valid_until is not None and at >= self.valid_until
        )

    def expire(self, at: datetime) -> bool:
        """SENT past its validity → EXPIRED; False (and no change) when not due."""
        if not self.is_expired_at(at):
            return False
        self._move(Status.EXPIRED, at)
        self.expired_at = at
        self.changes.append(Expired(at=at))
        return True

    def remind(self, at: datetime) -> timedelta | None:
        """Record the reminder due now, if any, and return its offset before expiry.

        When several are due at once (the job was down), only the most urgent one is
        announced and the earlier ones are marked handled: a customer never gets two
        reminder mails in one go, and none is ever sent twice."""
        if self.status is not Status.SENT or self.reminder_plan is None:
            return None
        if self.is_expired_at(at):
            return None
        due = self.reminder_plan.due(at)
        if not due:
            return None
        self.reminder_plan = self.reminder_plan.handle(due)
        urgent = min(due)
        self._touch(at)
        self.changes.append(ReminderDue(at=at, before_expiry=urgent))
        return urgent

    def mark_converted(self, order_id: uuid.UUID, order_number: str, at: datetime) -> bool:
        """Record the order an ACCEPTED quotation became; False when already recorded."""
        if self.status is not Status.ACCEPTED:
            raise NotAccepted(str(self.id), self.status.value)
        if self.order_id is not None:
            return False
        self.order_id = order_id
        self.order_number = order_number
        self.converted_at = at
        self._touch(at)
        return True

    def check_convertible(self) -> None:
        if self.status is not Status.ACCEPTED:
            raise NotAccepted(str(self.id), self.status.value)

    def take_changes(self) -> list[Change]:
        taken, self.changes = self.changes, []
        return taken


def new_quotation(
    *,
    quotation_id: uuid.UUID,
    number: str,
    customer_id: uuid.UUID,
    customer: CustomerSnapshot,
    priced: Sequence[LinePrice],
    pricing_date: str,
    at: datetime,
    notes: str = "",
    source_order_id: uuid.UUID | None = None,
) -> Quotation:
    if not priced:
        raise ValidationFailed({"lines": "at least one line is required"})
    currencies = {ln.currency for ln in priced}
    if len(currencies) > 1:
        raise ValidationFailed(
            {"lines": f"all lines must be in one currency, got {', '.join(sorted(currencies))}"}
        )
    quotation = Quotation(
        id=quotation_id,
        number=number,
        customer_id=customer_id,
        customer=customer,
        lines=list(priced),
        currency=priced[0].currency,
        pricing_date=pricing_date,
        created_at=at,
        updated_at=at,
        notes=notes,
        recipient_email=customer.email,
        source_order_id=source_order_id,
    )
    quotation.changes.append(Created(at=at))
    return quotation
