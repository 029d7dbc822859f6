"""SmartBill's real calls, one function each: (account, query, body) → the JSON answer
(or PDF bytes). Refusals are `BusinessError`s, turned into errorText by the routes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from cypher_fakes.smartbill import pdf
from cypher_fakes.smartbill.account import Account, BusinessError, Document

Answer = dict[str, Any] | bytes
Operation = Callable[[Account, Mapping[str, str], Any], Answer]


def _ok(**fields: Any) -> dict[str, Any]:
    return {"errorText": "", "message": "", **fields}


def _addressed(account: Account, query: Mapping[str, str], kind: str) -> Document:
    account.check_cif(query.get("cif"))
    series = query.get("seriesname") or query.get("seriesName")
    return account.find(series, query.get("number"), kind)


def _money(value: Decimal) -> float:
    # SmartBill answers amounts as JSON numbers.
    return float(value)


def create_invoice(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    doc = account.issue(body, "invoice")
    return _ok(number=doc.number, series=doc.series, url="")


def create_estimate(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    doc = account.issue(body, "estimate")
    return _ok(number=doc.number, series=doc.series, url="")


def reverse_invoice(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    doc = account.reverse(body)
    return _ok(
        number=doc.number,
        series=doc.series,
        documentId=doc.id,
        documentUrl="",
        documentViewUrl="",
    )


def cancel_invoice(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    doc = _addressed(account, query, "invoice")
    account.cancel(doc)
    return _ok(number=doc.number, series=doc.series)


def restore_invoice(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    doc = _addressed(account, query, "invoice")
    account.restore(doc)
    return _ok(number=doc.number, series=doc.series)


def delete_invoice(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    doc = _addressed(account, query, "invoice")
    account.delete_last(doc)
    return _ok(number=doc.number, series=doc.series)


def payment_status(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    doc = _addressed(account, query, "invoice")
    unpaid = max(doc.total - doc.paid, Decimal(0))
    return _ok(
        number=doc.number,
        series=doc.series,
        invoiceTotalAmount=_money(doc.total),
        paidAmount=_money(doc.paid),
        unpaidAmount=_money(unpaid),
        paid=unpaid == 0,
    )


def invoice_pdf(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    return pdf.render(_addressed(account, query, "invoice"))


def estimate_pdf(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    return pdf.render(_addressed(account, query, "estimate"))


def cancel_estimate(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    doc = _addressed(account, query, "estimate")
    account.cancel(doc)
    return _ok(number=doc.number, series=doc.series)


def estimate_invoices(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    doc = _addressed(account, query, "estimate")
    invoices = [{"series": s, "number": n} for s, n in doc.invoices]
    return _ok(areInvoicesCreated=bool(invoices), invoices=invoices)


def record_payment(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    account.record_payment(body)
    return _ok(number="", series="")


def taxes(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    account.check_cif(query.get("cif"))
    return _ok(taxes=account.tax_list())


def series(account: Account, query: Mapping[str, str], body: Any) -> Answer:
    account.check_cif(query.get("cif"))
    kind = query.get("type")
    if kind not in (None, "", "f", "p", "c"):
        raise BusinessError("Tipul seriei trebuie sa fie f, p sau c.", 400)
    return _ok(list=account.series_list(kind))


# (method, path under /SBORO/api) → operation
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", "invoice"): create_invoice,
    ("POST", "invoice/reverse"): reverse_invoice,
    ("PUT", "invoice/cancel"): cancel_invoice,
    ("PUT", "invoice/restore"): restore_invoice,
    ("DELETE", "invoice"): delete_invoice,
    ("GET", "invoice/paymentstatus"): payment_status,
    ("GET", "invoice/pdf"): invoice_pdf,
    ("POST", "estimate"): create_estimate,
    ("GET", "estimate/pdf"): estimate_pdf,
    ("PUT", "estimate/cancel"): cancel_estimate,
    ("GET", "estimate/invoices"): estimate_invoices,
    ("POST", "payment"): record_payment,
    ("GET", "tax"): taxes,
    ("GET", "series"): series,
}
