"""Response payloads of the quotations routes."""

from __future__ import annotations

from typing import Any, Literal

from google.protobuf import json_format
from pydantic import Field

from cypher.quotations.v1 import quotations_pb2 as pb
from gateway.convert import time_of
from gateway.views.catalog import PricedLine, priced_line_view
from gateway.views.common import Address, Out, Time, Totals, address_of, totals_of
from gateway.views.orders import Order

StatusName = Literal["DRAFT", "SENT", "ACCEPTED", "REJECTED", "EXPIRED"]
STATUS_PREFIX = "QUOTATION_STATUS_"


class QuotationLine(Out):
    sku: str
    quantity: int
    price: PricedLine


class QuotationCustomer(Out):
    name: str
    company: str | None
    vat_code: str | None
    email: str | None
    phone: str | None
    address: Address | None


class Quotation(Out):
    id: str
    number: str
    customer_id: str
    customer: QuotationCustomer | None
    status: StatusName
    lines: list[QuotationLine]
    totals: Totals
    currency: str
    notes: str | None
    pricing_date: str
    recipient_email: str | None
    valid_until: Time | None
    sent_at: Time | None
    accepted_at: Time | None
    rejected_at: Time | None
    rejection_reason: str | None
    expired_at: Time | None
    source_order_id: str | None
    order_id: str | None
    order_number: str | None
    converted_at: Time | None
    reminders_sent: list[int] = Field(description="days before expiry")
    reminders_sent_seconds: list[int]
    version: int
    created_at: Time | None
    updated_at: Time | None


class BulkFailure(Out):
    customer_id: str
    code: str
    message: str
    details: dict[str, Any]


class BulkResult(Out):
    quotations: list[Quotation]
    failures: list[BulkFailure]


class Conversion(Out):
    order_id: str
    order_number: str
    order: Order
    quotation: Quotation


def status_name(value: int) -> StatusName:
    name = pb.QuotationStatus.Name(value)  # type: ignore[arg-type]
    return name.removeprefix(STATUS_PREFIX)  # type: ignore[return-value]


def customer_view(q: pb.Quotation) -> QuotationCustomer | None:
    if not q.HasField("customer"):
        return None
    c = q.customer
    return QuotationCustomer(
        name=c.name,
        company=c.company or None,
        vat_code=c.vat_code or None,
        email=c.email or None,
        phone=c.phone or None,
        address=address_of(c, "address"),
    )


def quotation_view(q: pb.Quotation) -> Quotation:
    return Quotation(
        id=q.id,
        number=q.number,
        customer_id=q.customer_id,
        customer=customer_view(q),
        status=status_name(q.status),
        lines=[
            QuotationLine(sku=ln.sku, quantity=ln.quantity, price=priced_line_view(ln.price))
            for ln in q.lines
        ],
        totals=totals_of(q.totals),
        currency=q.currency,
        notes=q.notes or None,
        pricing_date=q.pricing_date,
        recipient_email=q.recipient_email or None,
        valid_until=time_of(q, "valid_until"),
        sent_at=time_of(q, "sent_at"),
        accepted_at=time_of(q, "accepted_at"),
        rejected_at=time_of(q, "rejected_at"),
        rejection_reason=q.rejection_reason or None,
        expired_at=time_of(q, "expired_at"),
        source_order_id=q.source_order_id or None,
        order_id=q.order_id or None,
        order_number=q.order_number or None,
        converted_at=time_of(q, "converted_at"),
        reminders_sent=list(q.reminders_sent),
        reminders_sent_seconds=list(q.reminders_sent_seconds),
        version=q.version,
        created_at=time_of(q, "created_at"),
        updated_at=time_of(q, "updated_at"),
    )


def bulk_view(reply: pb.BulkCreateQuotationsResponse) -> BulkResult:
    return BulkResult(
        quotations=[quotation_view(q) for q in reply.quotations],
        failures=[
            BulkFailure(
                customer_id=f.customer_id,
                code=f.error.code,
                message=f.error.message,
                details=json_format.MessageToDict(f.error.details),
            )
            for f in reply.failures
        ],
    )
