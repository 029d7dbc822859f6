"""The stored JSON form of a document's source (order snapshot) and draft (the body sent
to SmartBill). Amounts are decimal strings, dates ISO: nothing is lost on the way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from integration.domain.billing import (
    Address,
    BillingParty,
    BillingSource,
    Draft,
    DraftLine,
    SourceLine,
    Totals,
)

Json = dict[str, Any]


def party_json(party: BillingParty) -> Json:
    a = party.address
    return {
        "customer_id": party.customer_id,
        "name": party.name,
        "email": party.email,
        "company": party.company,
        "vat_code": party.vat_code,
        "reg_com": party.reg_com,
        "address": {
            "line1": a.line1,
            "line2": a.line2,
            "city": a.city,
            "county": a.county,
            "postal_code": a.postal_code,
            "country": a.country,
        },
    }


def party_of(data: Json) -> BillingParty:
    a = data.get("address") or {}
    return BillingParty(
        customer_id=str(data["customer_id"]),
        name=str(data.get("name", "")),
        email=str(data.get("email", "")),
        company=str(data.get("company", "")),
        vat_code=str(data.get("vat_code", "")),
        reg_com=str(data.get("reg_com", "")),
        address=Address(**{k: str(a.get(k, "")) for k in Address.__dataclass_fields__}),
    )


def source_json(source: BillingSource) -> Json:
    return {
        "order_number": source.order_number,
        "currency": source.currency,
        "party": party_json(source.party),
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "unit": line.unit,
                "quantity": line.quantity,
                "unit_net": str(line.unit_net),
                "vat_category": line.vat_category,
                "list_price": None if line.list_price is None else str(line.list_price),
            }
            for line in source.lines
        ],
    }


def source_of(data: Json) -> BillingSource:
    return BillingSource(
        order_number=str(data.get("order_number", "")),
        currency=str(data.get("currency", "RON")),
        party=party_of(data["party"]),
        lines=tuple(
            SourceLine(
                sku=str(line["sku"]),
                name=str(line.get("name", "")),
                unit=str(line.get("unit", "")),
                quantity=int(line["quantity"]),
                unit_net=Decimal(line["unit_net"]),
                vat_category=str(line["vat_category"]),
                list_price=None if line.get("list_price") is None else Decimal(line["list_price"]),
            )
            for line in data.get("lines", [])
        ),
    )


def draft_json(draft: Draft) -> Json:
    return {
        "party": party_json(draft.party),
        "currency": draft.currency,
        "issue_date": draft.issue_date.isoformat(),
        "due_date": None if draft.due_date is None else draft.due_date.isoformat(),
        "vat_date": draft.vat_date.isoformat(),
        "mentions": draft.mentions,
        "totals": {
            "net": str(draft.totals.net),
            "vat": str(draft.totals.vat),
            "gross": str(draft.totals.gross),
        },
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "unit": line.unit,
                "quantity": line.quantity,
                "price": str(line.price),
                "tax_name": line.tax_name,
                "vat_pct": str(line.vat_pct),
                "unit_net": str(line.unit_net),
                "net": str(line.net),
                "vat": str(line.vat),
                "discount": str(line.discount),
            }
            for line in draft.lines
        ],
    }


def draft_of(data: Json) -> Draft:
    totals = data["totals"]
    return Draft(
        party=party_of(data["party"]),
        currency=str(data["currency"]),
        lines=tuple(
            DraftLine(
                sku=str(line["sku"]),
                name=str(line["name"]),
                unit=str(line["unit"]),
                quantity=int(line["quantity"]),
                price=Decimal(line["price"]),
                tax_name=str(line["tax_name"]),
                vat_pct=Decimal(line["vat_pct"]),
                unit_net=Decimal(line["unit_net"]),
                net=Decimal(line["net"]),
                vat=Decimal(line["vat"]),
                discount=Decimal(line.get("discount", "0")),
            )
            for line in data["lines"]
        ),
        totals=Totals(
            net=Decimal(totals["net"]), vat=Decimal(totals["vat"]), gross=Decimal(totals["gross"])
        ),
        issue_date=date.fromisoformat(data["issue_date"]),
        due_date=None if data.get("due_date") is None else date.fromisoformat(data["due_date"]),
        vat_date=date.fromisoformat(data["vat_date"]),
        mentions=str(data.get("mentions", "")),
    )
