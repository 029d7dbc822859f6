"""New documents: which orders may be invoiced or get a proforma, and the intents."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from integration.domain.billing import BillingSource
from integration.domain.documents import Document, DocumentKind
from integration.errors import OrderNotInvoiceable, ProformaNotAllowed

# DELIVERED is the trigger; INVOICED/PAID orders were delivered before (their invoice
# may have been made elsewhere): asking again is allowed and stays one invoice.
INVOICEABLE_STATUSES = frozenset({"DELIVERED", "INVOICED", "PAID"})
NO_PROFORMA_STATUSES = frozenset({"CANCELLED", "RETURNED"})


def require_invoiceable(order_id: str, status: str) -> None:
    if status not in INVOICEABLE_STATUSES:
        raise OrderNotInvoiceable(order_id, status)


def require_proforma_allowed(order_id: str, status: str) -> None:
    if status in NO_PROFORMA_STATUSES:
        raise ProformaNotAllowed(order_id, status)


def invoice_intent(
    *,
    order_id: uuid.UUID,
    source: BillingSource,
    vat_date: date,
    series: str,
    at: datetime,
    document_id: uuid.UUID | None = None,
) -> Document:
    return Document(
        id=document_id or uuid.uuid4(),
        kind=DocumentKind.INVOICE,
        order_id=order_id,
        customer_id=source.party.customer_id,
        series=series,
        source=source,
        vat_date=vat_date,
        created_at=at,
        updated_at=at,
    )


def proforma_intent(
    *, order_id: uuid.UUID, source: BillingSource, series: str, at: datetime
) -> Document:
    # A proforma is not a tax document: its VAT is the one in force when it is issued.
    return Document(
        id=uuid.uuid4(),
        kind=DocumentKind.PROFORMA,
        order_id=order_id,
        customer_id=source.party.customer_id,
        series=series,
        source=source,
        vat_date=at.date(),
        created_at=at,
        updated_at=at,
    )


def credit_intent(
    *, invoice: Document, returned: BillingSource, return_id: str, at: datetime
) -> Document:
    """A credit document for goods returned: `returned` holds the returned quantities.
    What it becomes (storno or credit invoice) is planned when its invoice has a number
    (credits.plan_credit), so a return that overtakes the invoice still credits it."""
    return Document(
        id=uuid.uuid4(),
        kind=DocumentKind.CREDIT_NOTE,
        order_id=invoice.order_id,
        customer_id=invoice.customer_id,
        series=invoice.series,
        source=returned,
        vat_date=invoice.vat_date,
        created_at=at,
        updated_at=at,
        credit_of=invoice.id,
        return_id=return_id,
    )
