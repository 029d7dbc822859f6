"""Our prepared documents as SmartBill's JSON bodies (EXTERNAL_APIS.md): the client block,
product lines (net prices, SmartBill adds VAT per line), a value discount line after a
discounted product, and `useEstimateDetails` for an invoice made from a proforma."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from integration.domain.billing import BillingParty, Draft, DraftLine
from integration.domain.documents import DocRef


def amount(value: Decimal) -> float | int:
    # SmartBill takes JSON numbers; every amount here has at most 4 decimal places, which
    # a double holds exactly enough for SmartBill's own 2-place rounding.
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def client_block(party: BillingParty) -> dict[str, Any]:
    address = party.address
    vat_code = party.vat_code.strip()
    return {
        "name": party.billed_name,
        "vatCode": vat_code,
        "regCom": party.reg_com,
        "address": address.street,
        "city": address.city,
        "county": address.county,
        "country": _country(address.country),
        "email": party.email,
        # A Romanian VAT payer's code carries the RO prefix.
        "isTaxPayer": vat_code.upper().startswith("RO"),
        "saveToDb": False,
    }


def _country(code: str) -> str:
    return {"": "Romania", "RO": "Romania"}.get(code.strip().upper(), code)


def product_lines(lines: tuple[DraftLine, ...], currency: str) -> list[dict[str, Any]]:
    products: list[dict[str, Any]] = []
    for line in lines:
        products.append(
            {
                "name": line.name,
                "code": line.sku,
                "measuringUnitName": line.unit,
                "currency": currency,
                "quantity": line.quantity,
                "price": amount(line.price),
                "isTaxIncluded": False,
                "taxName": line.tax_name,
                "taxPercentage": amount(line.vat_pct),
                "isService": False,
                "saveToDb": False,
            }
        )
        if line.discount:
            products.append(
                {
                    "name": f"Discount {line.sku}",
                    "isDiscount": True,
                    "numberOfItems": 1,
                    "measuringUnitName": line.unit,
                    "currency": currency,
                    "isTaxIncluded": True,
                    "taxName": line.tax_name,
                    "taxPercentage": amount(line.vat_pct),
                    "discountType": 1,
                    "discountValue": amount(-line.discount),
                }
            )
    return products


def document_body(
    *,
    cif: str,
    series: str,
    draft: Draft,
    estimate: DocRef | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "companyVatCode": cif,
        "client": client_block(draft.party),
        "issueDate": draft.issue_date.isoformat(),
        "seriesName": series,
        "currency": draft.currency,
        "deliveryDate": draft.vat_date.isoformat(),
        "mentions": draft.mentions,
        "products": product_lines(draft.lines, draft.currency),
    }
    if draft.due_date is not None:
        body["dueDate"] = draft.due_date.isoformat()
    if estimate is not None:
        body["useEstimateDetails"] = True
        body["estimate"] = {"seriesName": estimate.series, "number": estimate.number}
    return body


def reverse_body(*, cif: str, invoice: DocRef, issue_date: date) -> dict[str, Any]:
    return {
        "companyVatCode": cif,
        "seriesName": invoice.series,
        "number": invoice.number,
        "issueDate": issue_date.isoformat(),
    }
