"""The events published from a document's recorded changes: invoice.created (orders moves
the order to INVOICED), proforma.created, payment.received (orders records the amount
and moves a fully paid order to PAID). Credit notes and cancellations announce nothing:
no one consumes them yet."""

from __future__ import annotations

from cypher.integration.v1 import events_pb2
from cypher_runtime.messaging.envelope import Event
from cypher_runtime.proto_values import money_pb, timestamp_pb
from integration import wire
from integration.domain.documents import Document, DocumentKind, Issued, PaymentSeen

AGGREGATE = "invoice"


def published(doc: Document) -> list[Event]:
    """The events of the changes recorded since the document was loaded (then cleared)."""
    events: list[Event] = []
    for change in doc.changes:
        message = _message(doc, change)
        if message is not None:
            events.append(
                Event(
                    message=message,
                    aggregate_type=AGGREGATE,
                    aggregate_id=str(doc.id),
                    version=doc.version,
                    occurred_at=change.at,
                )
            )
    doc.changes.clear()
    return events


def _message(
    doc: Document, change: object
) -> events_pb2.InvoiceCreated | events_pb2.ProformaCreated | events_pb2.PaymentReceived | None:
    currency = doc.source.currency
    if isinstance(change, Issued) and doc.draft is not None:
        totals = wire.totals_pb(doc.draft.totals, currency)
        if doc.kind == DocumentKind.INVOICE:
            return events_pb2.InvoiceCreated(
                invoice_id=str(doc.id),
                order_id=str(doc.order_id),
                customer_id=doc.customer_id,
                series=doc.series,
                number=doc.number or "",
                totals=totals,
                issue_date=doc.draft.issue_date.isoformat(),
                due_date=doc.draft.due_date.isoformat() if doc.draft.due_date else "",
                vat_date=doc.vat_date.isoformat(),
                version=doc.version,
                occurred_at=timestamp_pb(change.at),
            )
        if doc.kind == DocumentKind.PROFORMA:
            return events_pb2.ProformaCreated(
                proforma_id=str(doc.id),
                order_id=str(doc.order_id),
                customer_id=doc.customer_id,
                series=doc.series,
                number=doc.number or "",
                totals=totals,
                issue_date=doc.draft.issue_date.isoformat(),
                version=doc.version,
                occurred_at=timestamp_pb(change.at),
            )
        return None
    if isinstance(change, PaymentSeen):
        return events_pb2.PaymentReceived(
            invoice_id=str(doc.id),
            order_id=str(doc.order_id),
            customer_id=doc.customer_id,
            amount=money_pb(change.amount, currency),
            total_paid=money_pb(change.total_paid, currency),
            fully_paid=change.fully_paid,
            payment_status=wire.PAYMENT_PB[change.status],
            paid_at=timestamp_pb(change.at),
            version=doc.version,
            occurred_at=timestamp_pb(change.at),
            amount_unpaid=money_pb(change.unpaid, currency),
            invoice_series=doc.series,
            invoice_number=doc.number or "",
        )
    return None
