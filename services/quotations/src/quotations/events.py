"""Builders of the published events from a quotation's recorded changes.

`published(quotation)` drains `quotation.changes` and returns one `Event` per change,
carrying the aggregate id and version, so a use case never assembles a message.
The sent event carries the PDF as sent (the mailer needs no call back).
"""

from __future__ import annotations

from google.protobuf.message import Message

from cypher.quotations.v1 import events_pb2 as ev
from cypher_runtime.messaging.envelope import Event
from cypher_runtime.proto_values import optional_timestamp_pb, timestamp_pb
from quotations.domain.model import (
    Accepted,
    Change,
    Created,
    Expired,
    Quotation,
    Rejected,
    ReminderDue,
    Sent,
)
from quotations.wire import totals_pb, whole_days

AGGREGATE = "quotation"


def _message(q: Quotation, change: Change, pdf: bytes) -> Message:
    qid, number, cid, version = str(q.id), q.number, str(q.customer_id), q.version
    at = timestamp_pb(change.at)
    source = str(q.source_order_id or "")
    totals = totals_pb(q.totals, q.currency)
    valid_until = optional_timestamp_pb(q.valid_until)
    match change:
        case Created():
            return ev.QuotationCreated(
                quotation_id=qid,
                number=number,
                customer_id=cid,
                source_order_id=source,
                totals=totals,
                version=version,
                occurred_at=at,
            )
        case Sent(message=message):
            return ev.QuotationSent(
                quotation_id=qid,
                number=number,
                customer_id=cid,
                source_order_id=source,
                recipient_email=q.recipient_email,
                message=message,
                valid_until=valid_until,
                totals=totals,
                pdf=pdf,
                pdf_filename=q.pdf_filename(),
                version=version,
                occurred_at=at,
            )
        case Accepted():
            return ev.QuotationAccepted(
                quotation_id=qid,
                number=number,
                customer_id=cid,
                source_order_id=source,
                totals=totals,
                version=version,
                occurred_at=at,
            )
        case Rejected(reason=reason):
            return ev.QuotationRejected(
                quotation_id=qid,
                number=number,
                customer_id=cid,
                source_order_id=source,
                reason=reason,
                version=version,
                occurred_at=at,
            )
        case Expired():
            return ev.QuotationExpired(
                quotation_id=qid,
                number=number,
                customer_id=cid,
                source_order_id=source,
                valid_until=valid_until,
                version=version,
                occurred_at=at,
            )
        case ReminderDue(before_expiry=offset):
            return ev.QuotationReminderDue(
                quotation_id=qid,
                number=number,
                customer_id=cid,
                recipient_email=q.recipient_email,
                valid_until=valid_until,
                days_before_expiry=whole_days(offset),
                seconds_before_expiry=int(offset.total_seconds()),
                totals=totals,
                version=version,
                occurred_at=at,
            )


def published(q: Quotation, *, pdf: bytes = b"") -> list[Event]:
    return [
        Event(
            message=_message(q, change, pdf),
            aggregate_type=AGGREGATE,
            aggregate_id=str(q.id),
            version=q.version,
            occurred_at=change.at,
        )
        for change in q.take_changes()
    ]
