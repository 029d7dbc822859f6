"""Every conversion between protos and the integration service's domain/read objects."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from cypher.common.v1 import address_pb2, money_pb2
from cypher.integration.v1 import integration_pb2 as pb
from cypher.orders.v1 import orders_pb2
from cypher.pricing.v1 import pricing_pb2
from cypher_runtime.errors import ValidationFailed
from cypher_runtime.proto_values import (
    datetime_from_pb,
    decimal_from_text,
    money_pb,
    optional_timestamp_pb,
    timestamp_pb,
)
from integration.domain.billing import (
    Address,
    BillingParty,
    BillingSource,
    DraftLine,
    SourceLine,
    Totals,
)
from integration.domain.documents import Document, DocumentKind, PaymentStatus, Phase
from integration.ports import OrderFacts
from integration.smartbill.guard import LinkStatus

KIND_PB = {
    DocumentKind.INVOICE: pb.DOCUMENT_KIND_INVOICE,
    DocumentKind.PROFORMA: pb.DOCUMENT_KIND_PROFORMA,
    DocumentKind.CREDIT_NOTE: pb.DOCUMENT_KIND_CREDIT_NOTE,
}
KIND_FROM_PB = {v: k for k, v in KIND_PB.items()}
STATUS_PB = {
    Phase.QUEUED: pb.DOCUMENT_STATUS_PENDING,
    Phase.IN_FLIGHT: pb.DOCUMENT_STATUS_PENDING,
    Phase.UNCERTAIN: pb.DOCUMENT_STATUS_PENDING,
    Phase.ISSUED: pb.DOCUMENT_STATUS_ISSUED,
    Phase.FAILED: pb.DOCUMENT_STATUS_FAILED,
    Phase.CANCELLED: pb.DOCUMENT_STATUS_CANCELLED,
}
PAYMENT_PB = {
    PaymentStatus.UNPAID: pb.PAYMENT_STATUS_UNPAID,
    PaymentStatus.PARTIALLY_PAID: pb.PAYMENT_STATUS_PARTIALLY_PAID,
    PaymentStatus.PAID: pb.PAYMENT_STATUS_PAID,
}
PAYMENT_FROM_PB = {v: k for k, v in PAYMENT_PB.items()}
CIRCUIT_PB = {
    "CLOSED": pb.CIRCUIT_STATE_CLOSED,
    "OPEN": pb.CIRCUIT_STATE_OPEN,
    "HALF_OPEN": pb.CIRCUIT_STATE_HALF_OPEN,
}
# A line without a VAT category (a price locked before categories existed) is standard.
DEFAULT_VAT_CATEGORY = "STANDARD"


# -- requests ------------------------------------------------------------------------
def uuid_field(text: str, field: str) -> uuid.UUID:
    if not text.strip():
        raise ValidationFailed({field: "is required"})
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise ValidationFailed({field: "must be a UUID"}) from None


def kind_filter(value: int) -> DocumentKind | None:
    if value == pb.DOCUMENT_KIND_UNSPECIFIED:
        return None
    if value not in KIND_FROM_PB:
        raise ValidationFailed({"kind": f"unknown document kind {value}"})
    return KIND_FROM_PB[value]  # type: ignore[index]


def payment_filter(value: int) -> PaymentStatus | None:
    if value == pb.PAYMENT_STATUS_UNSPECIFIED:
        return None
    if value not in PAYMENT_FROM_PB:
        raise ValidationFailed({"payment_status": f"unknown payment status {value}"})
    return PAYMENT_FROM_PB[value]  # type: ignore[index]


# -- orders service messages → billing data ------------------------------------------
def address_of(msg: address_pb2.Address) -> Address:
    return Address(
        line1=msg.line1,
        line2=msg.line2,
        city=msg.city,
        county=msg.county,
        postal_code=msg.postal_code,
        country=msg.country,
    )


def party_of(customer: orders_pb2.Customer) -> BillingParty:
    return BillingParty(
        customer_id=customer.id,
        name=customer.name,
        email=customer.email,
        company=customer.company,
        vat_code=customer.vat_code,
        reg_com=customer.reg_com,
        address=address_of(customer.address),
    )


def order_status(order: orders_pb2.Order) -> str:
    return orders_pb2.OrderStatus.Name(order.status).removeprefix("ORDER_STATUS_")


def _vat_category(line: pricing_pb2.PricedLine) -> str:
    if line.vat_category == pricing_pb2.VAT_CATEGORY_UNSPECIFIED:
        return DEFAULT_VAT_CATEGORY
    return pricing_pb2.VatCategory.Name(line.vat_category).removeprefix("VAT_CATEGORY_")


def _optional_price(money: money_pb2.Money, field: str) -> Decimal | None:
    if not money.amount:
        return None
    value = decimal_from_text(money.amount, field)
    return value if value > 0 else None


def source_of(
    order: orders_pb2.Order, party: BillingParty, *, delivered_only: bool
) -> BillingSource:
    """The billed lines: delivered quantities for an invoice, ordered ones for a proforma."""
    lines = []
    for i, line in enumerate(order.lines):
        price = line.price
        quantity = int(line.delivered_quantity if delivered_only else line.quantity)
        lines.append(
            SourceLine(
                sku=line.sku,
                name=price.name or line.sku,
                unit=price.unit or "buc",
                quantity=quantity,
                unit_net=decimal_from_text(price.unit_net.amount, f"lines[{i}].unit_net"),
                vat_category=_vat_category(price),
                list_price=_optional_price(price.list_price, f"lines[{i}].list_price"),
            )
        )
    return BillingSource(
        order_number=order.number,
        currency=order.currency or "RON",
        party=party,
        lines=tuple(lines),
    )


def delivered_on(order: orders_pb2.Order) -> date | None:
    days = [
        datetime_from_pb(shipment.delivered_at).date()
        for shipment in order.shipments
        if shipment.HasField("delivered_at")
    ]
    return max(days) if days else None


def order_facts(order: orders_pb2.Order, party: BillingParty) -> OrderFacts:
    return OrderFacts(
        order_id=uuid.UUID(order.id),
        status=order_status(order),
        customer_id=order.customer_id,
        ordered=source_of(order, party, delivered_only=False),
        delivered=source_of(order, party, delivered_only=True),
        delivered_on=delivered_on(order),
    )


def date_field(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({field: "must be a YYYY-MM-DD date"}) from None


# -- documents → protos ----------------------------------------------------------------
def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def totals_pb(totals: Totals, currency: str) -> money_pb2.Totals:
    return money_pb2.Totals(
        net=money_pb(totals.net, currency),
        vat=money_pb(totals.vat, currency),
        gross=money_pb(totals.gross, currency),
    )


def line_pb(line: DraftLine, currency: str) -> pb.InvoiceLine:
    return pb.InvoiceLine(
        sku=line.sku,
        name=line.name,
        unit=line.unit,
        quantity=line.quantity,
        unit_net=money_pb(line.unit_net, currency),
        vat_rate=format(line.vat_pct.normalize(), "f"),
        net=money_pb(line.net, currency),
        vat=money_pb(line.vat, currency),
        gross=money_pb(line.gross, currency),
        discount=money_pb(line.discount, currency),
    )


def invoice_pb(doc: Document, *, pdf_path: str = "") -> pb.Invoice:
    currency = doc.source.currency
    msg = pb.Invoice(
        id=str(doc.id),
        kind=KIND_PB[doc.kind],
        order_id=str(doc.order_id),
        customer_id=doc.customer_id,
        status=STATUS_PB[doc.phase],
        series=doc.series if doc.number else "",
        number=doc.number or "",
        issue_date=_day(doc.issue_date),
        due_date=_day(doc.due_date),
        vat_date=_day(doc.vat_date),
        payment_status=PAYMENT_PB[doc.payment_status],
        amount_paid=money_pb(doc.total_paid, currency),
        pdf_url=pdf_path if doc.number else "",
        error=doc.error,
        created_at=timestamp_pb(doc.created_at),
        updated_at=timestamp_pb(doc.updated_at),
        paid_at=optional_timestamp_pb(doc.paid_at),
        version=doc.version,
        credited_invoice_id=str(doc.credit_of) if doc.credit_of else "",
        storno=doc.storno,
        needs_review=doc.needs_review,
        attempts=doc.attempts,
        from_proforma=f"{doc.estimate.series} {doc.estimate.number}" if doc.estimate else "",
    )
    if doc.draft is not None:
        msg.totals.CopyFrom(totals_pb(doc.draft.totals, currency))
        msg.lines.extend(line_pb(line, currency) for line in doc.draft.lines)
    return msg


def breaker_pb(status: LinkStatus) -> pb.CircuitBreakerStatus:
    return pb.CircuitBreakerStatus(
        name=status.name,
        state=CIRCUIT_PB.get(status.state, pb.CIRCUIT_STATE_UNSPECIFIED),
        consecutive_failures=status.consecutive_failures,
        opened_at=optional_timestamp_pb(status.opened_at),
        next_attempt_at=optional_timestamp_pb(status.next_attempt_at),
        last_error=status.last_error,
    )
