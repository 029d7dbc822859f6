"""Every conversion between protos and the quotations domain, and nothing else."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from google.protobuf.struct_pb2 import Struct

from cypher.common.v1 import address_pb2, errors_pb2, money_pb2
from cypher.orders.v1 import orders_pb2
from cypher.pricing.v1 import pricing_pb2
from cypher.quotations.v1 import quotations_pb2 as pb
from cypher_runtime.proto_values import (
    datetime_from_pb,
    decimal_from_text,
    money_pb,
    optional_timestamp_pb,
    timestamp_pb,
)
from quotations.domain.lines import LineRequest
from quotations.domain.model import Address, CustomerSnapshot, LinePrice, Quotation, Status, Totals
from quotations.errors import DomainError, ValidationFailed

DAY = timedelta(days=1)
_STATUS_PREFIX = "QUOTATION_STATUS_"


# -- small values ---------------------------------------------------------------------------
def uuid_field(value: str, field: str, *, required: bool = True) -> uuid.UUID | None:
    if not value:
        if required:
            raise ValidationFailed({field: "is required"})
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed({field: f"not a valid id: {value!r}"}) from None


def required_uuid(value: str, field: str) -> uuid.UUID:
    parsed = uuid_field(value, field)
    assert parsed is not None
    return parsed


def pricing_date_field(value: str, field: str = "pricing_date") -> str:
    """ "YYYY-MM-DD" or empty (= today, decided by pricing)."""
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValidationFailed({field: f"not a YYYY-MM-DD date: {value!r}"}) from None


def status_pb(status: Status) -> pb.QuotationStatus.ValueType:
    return pb.QuotationStatus.Value(_STATUS_PREFIX + status.value)


def status_from_pb(value: int) -> Status | None:
    try:
        name = pb.QuotationStatus.Name(value)  # type: ignore[arg-type]
    except ValueError:
        raise ValidationFailed({"status": f"unknown status {value}"}) from None
    if name == "QUOTATION_STATUS_UNSPECIFIED":
        return None
    return Status(name.removeprefix(_STATUS_PREFIX))


def line_requests(lines: Iterable[pb.QuotationLineInput]) -> list[LineRequest]:
    return [LineRequest(sku=ln.sku, quantity=int(ln.quantity)) for ln in lines]


def totals_pb(totals: Totals, currency: str) -> money_pb2.Totals:
    return money_pb2.Totals(
        net=money_pb(totals.net, currency),
        vat=money_pb(totals.vat, currency),
        gross=money_pb(totals.gross, currency),
    )


# -- priced lines ---------------------------------------------------------------------------
def _amount(money: money_pb2.Money, field: str) -> Decimal:
    return decimal_from_text(money.amount or "0", field, max_places=6)


def _pct(text: str, field: str) -> Decimal:
    return decimal_from_text(text or "0", field, max_places=6)


def tier_name(value: int) -> str:
    """ "STANDARD", "TIER_1"…; "" when pricing did not say."""
    name = pricing_pb2.Tier.Name(value)  # type: ignore[arg-type]
    if name == "TIER_UNSPECIFIED":
        return ""
    return "STANDARD" if name == "TIER_STANDARD" else name


def tier_value(name: str) -> pricing_pb2.Tier.ValueType:
    if not name:
        return pricing_pb2.TIER_UNSPECIFIED
    return pricing_pb2.Tier.Value("TIER_STANDARD" if name == "STANDARD" else name)


def vat_category_name(value: int) -> str:
    name = pricing_pb2.VatCategory.Name(value)  # type: ignore[arg-type]
    return "" if name == "VAT_CATEGORY_UNSPECIFIED" else name.removeprefix("VAT_CATEGORY_")


def vat_category_value(name: str) -> pricing_pb2.VatCategory.ValueType:
    return pricing_pb2.VatCategory.Value(
        f"VAT_CATEGORY_{name}" if name else "VAT_CATEGORY_UNSPECIFIED"
    )


def line_price_from_pb(line: pricing_pb2.PricedLine) -> LinePrice:
    """A priced line as pricing answered it (its figures are kept, never recomputed)."""
    f = f"lines[{line.sku}]"
    return LinePrice(
        sku=line.sku,
        quantity=int(line.quantity),
        name=line.name,
        unit=line.unit,
        unit_cost=_amount(line.unit_cost, f"{f}.unit_cost"),
        list_price=_amount(line.list_price, f"{f}.list_price"),
        tier=tier_name(line.tier),
        tier_discount_pct=_pct(line.tier_discount_pct, f"{f}.tier_discount_pct"),
        volume_discount_pct=_pct(line.volume_discount_pct, f"{f}.volume_discount_pct"),
        promotion_discount_pct=_pct(line.promotion_discount_pct, f"{f}.promotion_discount_pct"),
        unit_net=_amount(line.unit_net, f"{f}.unit_net"),
        vat_rate=_pct(line.vat_rate, f"{f}.vat_rate"),
        unit_gross=_amount(line.unit_gross, f"{f}.unit_gross"),
        line_net=_amount(line.line_net, f"{f}.line_net"),
        line_vat=_amount(line.line_vat, f"{f}.line_vat"),
        line_gross=_amount(line.line_gross, f"{f}.line_gross"),
        margin_pct=_pct(line.margin_pct, f"{f}.margin_pct"),
        margin_floor_applied=line.margin_floor_applied,
        currency=line.currency or "RON",
        promotion_id=line.promotion_id,
        vat_category=vat_category_name(line.vat_category),
        pricing_date=line.pricing_date,
    )


def _pct_text(value: Decimal) -> str:
    return format(value, "f")


def line_price_pb(line: LinePrice) -> pricing_pb2.PricedLine:
    c = line.currency
    return pricing_pb2.PricedLine(
        sku=line.sku,
        quantity=line.quantity,
        unit_cost=money_pb(line.unit_cost, c),
        list_price=money_pb(line.list_price, c),
        tier=tier_value(line.tier),
        tier_discount_pct=_pct_text(line.tier_discount_pct),
        volume_discount_pct=_pct_text(line.volume_discount_pct),
        promotion_discount_pct=_pct_text(line.promotion_discount_pct),
        unit_net=money_pb(line.unit_net, c),
        vat_rate=_pct_text(line.vat_rate),
        unit_gross=money_pb(line.unit_gross, c),
        line_net=money_pb(line.line_net, c),
        line_vat=money_pb(line.line_vat, c),
        line_gross=money_pb(line.line_gross, c),
        margin_pct=_pct_text(line.margin_pct),
        margin_floor_applied=line.margin_floor_applied,
        currency=c,
        promotion_id=line.promotion_id,
        vat_category=vat_category_value(line.vat_category),
        name=line.name,
        unit=line.unit,
        pricing_date=line.pricing_date,
    )


# -- customers ------------------------------------------------------------------------------
def address_from_pb(address: address_pb2.Address) -> Address:
    return Address(
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        county=address.county,
        postal_code=address.postal_code,
        country=address.country,
    )


def address_pb(address: Address) -> address_pb2.Address:
    return address_pb2.Address(
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        county=address.county,
        postal_code=address.postal_code,
        country=address.country,
    )


def customer_from_orders_pb(customer: orders_pb2.Customer) -> CustomerSnapshot:
    return CustomerSnapshot(
        name=customer.name,
        email=customer.email,
        company=customer.company,
        vat_code=customer.vat_code,
        address=address_from_pb(customer.address),
        phone=customer.phone,
    )


def customer_pb(customer: CustomerSnapshot) -> pb.QuotationCustomer:
    return pb.QuotationCustomer(
        name=customer.name,
        company=customer.company,
        vat_code=customer.vat_code,
        email=customer.email,
        address=address_pb(customer.address),
        phone=customer.phone,
    )


# -- the quotation --------------------------------------------------------------------------
def whole_days(offset: timedelta) -> int:
    return int(offset // DAY)


def quotation_pb(q: Quotation) -> pb.Quotation:
    return pb.Quotation(
        id=str(q.id),
        number=q.number,
        customer_id=str(q.customer_id),
        status=status_pb(q.status),
        lines=[
            pb.QuotationLine(sku=ln.sku, quantity=ln.quantity, price=line_price_pb(ln))
            for ln in q.lines
        ],
        totals=totals_pb(q.totals, q.currency),
        currency=q.currency,
        notes=q.notes,
        pricing_date=q.pricing_date,
        valid_until=optional_timestamp_pb(q.valid_until),
        sent_at=optional_timestamp_pb(q.sent_at),
        accepted_at=optional_timestamp_pb(q.accepted_at),
        rejected_at=optional_timestamp_pb(q.rejected_at),
        rejection_reason=q.rejection_reason,
        expired_at=optional_timestamp_pb(q.expired_at),
        source_order_id=str(q.source_order_id or ""),
        order_id=str(q.order_id or ""),
        reminders_sent=[whole_days(o) for o in q.reminders_sent],
        reminders_sent_seconds=[int(o.total_seconds()) for o in q.reminders_sent],
        version=q.version,
        created_at=timestamp_pb(q.created_at),
        updated_at=timestamp_pb(q.updated_at),
        recipient_email=q.recipient_email,
        customer=customer_pb(q.customer),
        order_number=q.order_number,
        converted_at=optional_timestamp_pb(q.converted_at),
    )


def quotations_pb(items: Sequence[Quotation]) -> list[pb.Quotation]:
    return [quotation_pb(q) for q in items]


def expiring_before(request: pb.ListQuotationsRequest) -> datetime | None:
    if not request.HasField("expiring_before"):
        return None
    return datetime_from_pb(request.expiring_before).astimezone(UTC)


def order_lines_pb(q: Quotation) -> list[orders_pb2.OrderLineInput]:
    """The converted order's lines: each carries the quotation's locked price."""
    return [
        orders_pb2.OrderLineInput(sku=ln.sku, quantity=ln.quantity, locked_price=line_price_pb(ln))
        for ln in q.lines
    ]


def error_detail_pb(err: DomainError) -> errors_pb2.ErrorDetail:
    """A coded error as data (a bulk creation's per-customer failure)."""
    details = Struct()
    details.update(json.loads(json.dumps(err.details, default=str)))
    return errors_pb2.ErrorDetail(code=err.code, message=err.message, details=details)
