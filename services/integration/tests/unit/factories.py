"""Test data of the integration unit tests."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from integration.domain.billing import (
    Address,
    BillingParty,
    BillingSource,
    BillingTerms,
    Draft,
    SourceLine,
    prepare,
)
from integration.domain.documents import Document
from integration.domain.intake import invoice_intent

AT = datetime(2025, 8, 4, 9, 0, tzinfo=UTC)
TERMS = BillingTerms(
    tax_names={"STANDARD": "Normala", "REDUCED": "Redusa", "EXEMPT": "Scutita"}, payment_days=15
)
JULY_RATES = {"STANDARD": Decimal(19), "REDUCED": Decimal(9), "EXEMPT": Decimal(0)}
AUGUST_RATES = {"STANDARD": Decimal(21), "REDUCED": Decimal(11), "EXEMPT": Decimal(0)}


def company(**overrides: str) -> BillingParty:
    fields = {
        "customer_id": "c-1",
        "name": "Ion Popescu",
        "email": "ion@lumina.ro",
        "company": "Lumina SRL",
        "vat_code": "RO14399840",
        "reg_com": "",
    }
    fields.update(overrides)
    return BillingParty(
        **fields,
        address=Address(line1="Str. Lalelelor 5", city="Cluj-Napoca", county="Cluj", country="RO"),
    )


def line(
    sku: str = "LED-1",
    quantity: int = 10,
    unit_net: str = "12.35",
    list_price: str | None = None,
    category: str = "STANDARD",
) -> SourceLine:
    return SourceLine(
        sku=sku,
        name=f"Panou {sku}",
        unit="buc",
        quantity=quantity,
        unit_net=Decimal(unit_net),
        vat_category=category,
        list_price=None if list_price is None else Decimal(list_price),
    )


def source(*lines: SourceLine, party: BillingParty | None = None) -> BillingSource:
    return BillingSource(
        order_number="CMD-2026-000001",
        currency="RON",
        party=party or company(),
        lines=lines or (line(),),
    )


def draft(*lines: SourceLine, rates: dict[str, Decimal] | None = None) -> Draft:
    return prepare(
        source(*lines),
        vat_rates=rates or AUGUST_RATES,
        terms=TERMS,
        issue_date=AT.date(),
        vat_date=date(2025, 8, 1),
    )


def invoice(*lines: SourceLine) -> Document:
    doc = invoice_intent(
        order_id=uuid.uuid4(), source=source(*lines), vat_date=date(2025, 8, 1), series="FL", at=AT
    )
    doc.prepared(draft(*lines), AT)
    return doc


def smartbill_like(d: Draft) -> Decimal:
    """The total SmartBill computes from the products of a draft (no discount lines)."""
    total = Decimal(0)
    for x in d.lines:
        total += (x.quantity * x.price * (100 + x.vat_pct) / 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    return total
