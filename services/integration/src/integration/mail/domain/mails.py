"""A mail to send: which template, to whom, with what, and how its attempts go.

A mail is recorded when its event is consumed (once: the inbox, and a unique key per
mail) and sent by the dispatcher. A customer mail names the customer; the address is
looked up when it is sent. SMTP failures are retried with a doubling delay up to a
number of attempts; a refusal that cannot change (no address, recipient rejected) fails
the mail at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Template(StrEnum):
    QUOTATION_SENT = "quotation_sent"
    QUOTATION_REMINDER = "quotation_reminder"
    ORDER_CONFIRMED = "order_confirmed"
    ORDER_SHIPPED = "order_shipped"
    ORDER_DELIVERED = "order_delivered"
    ORDER_INVOICED = "order_invoiced"
    LOW_STOCK = "low_stock"
    PRICE_ALERT = "price_alert"


# The order statuses a customer hears about, and the mail of each.
ORDER_STATUS_MAILS = {
    "ORDER_CONFIRMED": Template.ORDER_CONFIRMED,
    "SHIPPED": Template.ORDER_SHIPPED,
    "DELIVERED": Template.ORDER_DELIVERED,
    "INVOICED": Template.ORDER_INVOICED,
}


class MailStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th failed attempt (1-based): doubling, capped."""
        factor: int = 2 ** max(attempts - 1, 0)
        delay: timedelta = min(self.first_delay * factor, self.max_delay)
        return delay


@dataclass
class Mail:
    id: uuid.UUID
    # One mail per key, ever (e.g. "order_shipped:<order id>", "<template>:<event id>").
    key: str
    template: Template
    event_id: str
    created_at: datetime
    context: dict[str, Any]
    # Exactly one of them: a fixed address, or the customer whose address is looked up.
    to_address: str = ""
    customer_id: str = ""
    attachment: Attachment | None = None
    # A quotation whose PDF is fetched at sending time (the event did not carry it).
    quotation_pdf_of: str = ""
    status: MailStatus = MailStatus.PENDING
    attempts: int = 0
    last_error: str = ""
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    subject: str = ""
    changes: list[object] = field(default_factory=list)

    def __post_init__(self) -> None:
        if bool(self.to_address) == bool(self.customer_id):
            raise ValueError("a mail goes to an address or to a customer")

    def sent(self, to_address: str, subject: str, at: datetime) -> None:
        self.attempts += 1
        self.status = MailStatus.SENT
        self.to_address = to_address
        self.subject = subject
        self.sent_at = at
        self.last_error = ""
        self.next_attempt_at = None

    def failed_attempt(self, error: str, at: datetime, policy: RetryPolicy) -> None:
        """A failure that may pass (SMTP down, a 4xx answer, the customer service down)."""
        self.attempts += 1
        self.last_error = error
        if self.attempts >= policy.max_attempts:
            self.status = MailStatus.FAILED
            self.next_attempt_at = None
        else:
            self.next_attempt_at = at + policy.delay(self.attempts)

    def refused(self, error: str) -> None:
        """A failure that will not pass by retrying (no address, recipient rejected)."""
        self.attempts += 1
        self.status = MailStatus.FAILED
        self.last_error = error
        self.next_attempt_at = None
