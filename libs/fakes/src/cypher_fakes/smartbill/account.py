"""The SmartBill account the fake holds: series with gap-free numbers, the VAT rates it
knows, and every invoice, estimate (proforma) and storno issued. No HTTP here: the
routes turn requests into these calls and `BusinessError`s into SmartBill's errorText."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")

DEFAULT_SERIES: dict[str, str] = {"FL": "f", "FCT": "f", "PF": "p"}
DEFAULT_TAXES: tuple[tuple[str, int], ...] = (
    ("Normala", 21),
    ("Normala", 19),
    ("Redusa", 11),
    ("Redusa", 9),
    ("Redusa", 5),
    ("Scutita", 0),
)


class BusinessError(Exception):
    """SmartBill refuses the call; `status` is the HTTP status it answers with (the
    real service sends some of these with 200 and a non-empty errorText)."""

    def __init__(self, text: str, status: int = 200) -> None:
        super().__init__(text)
        self.text = text
        self.status = status


@dataclass
class Document:
    kind: str  # "invoice" | "estimate"
    series: str
    number: str
    body: dict[str, Any]
    total: Decimal
    issue_date: str
    id: int = 0
    created_at: float = field(default_factory=time.time)
    cancelled: bool = False
    paid: Decimal = Decimal(0)
    reverses: tuple[str, str] | None = None  # the invoice a storno reverses
    reversed_by: tuple[str, str] | None = None
    from_estimate: tuple[str, str] | None = None
    invoices: list[tuple[str, str]] = field(default_factory=list)  # of an estimate

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": "storno" if self.reverses else self.kind,
            "series": self.series,
            "number": self.number,
            "issue_date": self.issue_date,
            "total": str(self.total),
            "paid": str(self.paid),
            "cancelled": self.cancelled,
            "reverses": _ref(self.reverses),
            "reversed_by": _ref(self.reversed_by),
            "from_estimate": _ref(self.from_estimate),
            "invoices": [_ref(i) for i in self.invoices],
            "created_at": self.created_at,
            "body": self.body,
        }


def _ref(ref: tuple[str, str] | None) -> dict[str, str] | None:
    return None if ref is None else {"series": ref[0], "number": ref[1]}


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BusinessError(f"Valoare invalida pentru {what}.", 400)
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise BusinessError(f"Valoare invalida pentru {what}.", 400) from None
    if not result.is_finite():
        raise BusinessError(f"Valoare invalida pentru {what}.", 400)
    return result


class Account:
    def __init__(self, cif: str) -> None:
        self.cif = cif
        self.series_types = dict(DEFAULT_SERIES)
        self.next_numbers = {name: 1 for name in DEFAULT_SERIES}
        self.taxes = list(DEFAULT_TAXES)
        self.documents: dict[tuple[str, str], Document] = {}
        self._last_id = 0

    # -- lookups -------------------------------------------------------------------------
    def check_cif(self, cif: Any) -> None:
        if not isinstance(cif, str) or not cif.strip():
            raise BusinessError("Campul companyVatCode (cif) este obligatoriu.", 400)
        if _bare_cif(cif) != _bare_cif(self.cif):
            raise BusinessError(f"Nu aveti acces la firma cu CIF {cif}.", 400)

    def find(self, series: str | None, number: str | None, kind: str) -> Document:
        if not series or not number:
            raise BusinessError("Seria si numarul documentului sunt obligatorii.", 400)
        doc = self.documents.get((series, _pad(number)))
        if doc is None or doc.kind != kind:
            what = "Factura" if kind == "invoice" else "Proforma"
            raise BusinessError(f"{what} {series} {number} nu exista.", 400)
        return doc

    def series_list(self, kind: str | None) -> list[dict[str, Any]]:
        return [
            {"name": name, "nextNumber": self.next_numbers[name], "type": t}
            for name, t in self.series_types.items()
            if kind in (None, "", t)
        ]

    def tax_list(self) -> list[dict[str, Any]]:
        return [
            {"id": i + 1, "name": name, "percentage": pct}
            for i, (name, pct) in enumerate(self.taxes)
        ]

    # -- issuing -------------------------------------------------------------------------
    def issue(self, body: Any, kind: str) -> Document:
        if not isinstance(body, dict):
            raise BusinessError("Corpul cererii trebuie sa fie un obiect JSON.", 400)
        self.check_cif(body.get("companyVatCode"))
        series = body.get("seriesName")
        type_code = "f" if kind == "invoice" else "p"
        if not isinstance(series, str) or self.series_types.get(series) != type_code:
            raise BusinessError(f"Seria {series!r} nu este definita.", 400)
        estimate: Document | None = None
        if kind == "invoice" and body.get("useEstimateDetails"):
            ref = body.get("estimate") or {}
            if not isinstance(ref, dict):
                raise BusinessError("Proforma indicata nu este valida.")
            estimate = self.find(ref.get("seriesName"), str(ref.get("number") or ""), "estimate")
            if estimate.cancelled:
                raise BusinessError("Proforma este anulata.")
            if estimate.invoices:
                raise BusinessError("Proforma a fost deja facturata.")
            body = {
                **body,
                "client": estimate.body.get("client"),
                "products": estimate.body.get("products"),
            }
        client = body.get("client")
        if not isinstance(client, dict) or not str(client.get("name") or "").strip():
            raise BusinessError("Numele clientului este obligatoriu.")
        total = self.total_of(body.get("products"))
        issue_date = str(body.get("issueDate") or time.strftime("%Y-%m-%d"))
        doc = self._number(kind, series, body, total, issue_date)
        if estimate is not None:
            doc.from_estimate = (estimate.series, estimate.number)
            estimate.invoices.append((doc.series, doc.number))
        return doc

    def reverse(self, body: Any) -> Document:
        if not isinstance(body, dict):
            raise BusinessError("Corpul cererii trebuie sa fie un obiect JSON.", 400)
        self.check_cif(body.get("companyVatCode"))
        original = self.find(body.get("seriesName"), str(body.get("number") or ""), "invoice")
        if original.cancelled:
            raise BusinessError("Factura este anulata si nu poate fi stornata.")
        if original.reverses is not None or original.reversed_by is not None:
            raise BusinessError("Factura a fost deja stornata.")
        products = [
            {**p, "quantity": -_decimal(p.get("quantity", 1), "quantity")}
            if not p.get("isDiscount")
            else {**p}
            for p in original.body.get("products") or []
        ]
        storno_body = {**original.body, "products": _jsonable(products)}
        issue_date = str(body.get("issueDate") or time.strftime("%Y-%m-%d"))
        doc = self._number("invoice", original.series, storno_body, -original.total, issue_date)
        doc.reverses = (original.series, original.number)
        original.reversed_by = (doc.series, doc.number)
        return doc

    def _number(
        self, kind: str, series: str, body: dict[str, Any], total: Decimal, issue_date: str
    ) -> Document:
        # Numbers are handed out with no await in between: gap-free under concurrency.
        number = _pad(str(self.next_numbers[series]))
        self.next_numbers[series] += 1
        self._last_id += 1
        doc = Document(kind, series, number, body, total, issue_date, id=self._last_id)
        self.documents[(series, number)] = doc
        return doc

    def total_of(self, products: Any) -> Decimal:
        if not isinstance(products, list) or not products:
            raise BusinessError("Documentul trebuie sa contina cel putin un produs.")
        total = Decimal(0)
        goods = Decimal(0)
        for i, line in enumerate(products):
            if not isinstance(line, dict):
                raise BusinessError(f"Produsul {i + 1} nu este valid.", 400)
            if line.get("isDiscount"):
                total += self._discount(line, goods)
                continue
            if not str(line.get("name") or "").strip():
                raise BusinessError(f"Produsul {i + 1} nu are denumire.")
            qty = _decimal(line.get("quantity", 1), "quantity")
            price = _decimal(line.get("price", 0), "price")
            pct = self._tax(line)
            amount = qty * price
            if not line.get("isTaxIncluded"):
                amount = amount * (100 + pct) / 100
            amount = amount.quantize(CENT, ROUND_HALF_UP)
            goods += amount
            total += amount
        return total.quantize(CENT, ROUND_HALF_UP)

    def _tax(self, line: dict[str, Any]) -> Decimal:
        name, pct = line.get("taxName"), line.get("taxPercentage")
        try:
            key = (str(name), int(_decimal(pct, "taxPercentage")))
        except BusinessError:
            key = (str(name), -1)
        if key not in self.taxes:
            raise BusinessError(f"Cota TVA {name} {pct}% nu este definita in cont.")
        return Decimal(key[1])

    def _discount(self, line: dict[str, Any], goods: Decimal) -> Decimal:
        kind = line.get("discountType")
        if kind == 1:
            value = abs(_decimal(line.get("discountValue", 0), "discountValue"))
            return -value.quantize(CENT, ROUND_HALF_UP)
        if kind == 2:
            pct = _decimal(line.get("discountPercentage", 0), "discountPercentage")
            return -(goods * abs(pct) / 100).quantize(CENT, ROUND_HALF_UP)
        raise BusinessError("discountType trebuie sa fie 1 (valoric) sau 2 (procentual).")

    # -- life after issue --------------------------------------------------------------------
    def cancel(self, doc: Document) -> None:
        if doc.cancelled:
            raise BusinessError("Documentul este deja anulat.")
        if doc.paid > 0:
            raise BusinessError("Documentul are incasari si nu poate fi anulat.")
        doc.cancelled = True

    def restore(self, doc: Document) -> None:
        if not doc.cancelled:
            raise BusinessError("Documentul nu este anulat.")
        doc.cancelled = False

    def delete_last(self, doc: Document) -> None:
        if int(doc.number) != self.next_numbers[doc.series] - 1:
            raise BusinessError("Doar ultima factura din serie poate fi stearsa.")
        if doc.paid > 0:
            raise BusinessError("Factura are incasari si nu poate fi stearsa.")
        del self.documents[(doc.series, doc.number)]
        self.next_numbers[doc.series] -= 1
        ref = (doc.series, doc.number)
        for other in self.documents.values():
            if other.reversed_by == ref:
                other.reversed_by = None
            if ref in other.invoices:
                other.invoices.remove(ref)

    def pay(self, doc: Document, amount: Decimal) -> None:
        if doc.cancelled:
            raise BusinessError("Factura este anulata.")
        if amount <= 0:
            raise BusinessError("Suma incasata trebuie sa fie pozitiva.", 400)
        doc.paid += amount

    def record_payment(self, body: Any) -> None:
        """`POST /payment`: the value is spread over the listed invoices, oldest first."""
        if not isinstance(body, dict):
            raise BusinessError("Corpul cererii trebuie sa fie un obiect JSON.", 400)
        self.check_cif(body.get("companyVatCode"))
        value = _decimal(body.get("value"), "value")
        refs = body.get("invoicesList") or []
        if not isinstance(refs, list) or not refs:
            raise BusinessError("Lista de facturi (invoicesList) este obligatorie.", 400)
        docs = [
            self.find(r.get("seriesName"), str(r.get("number") or ""), "invoice")
            if isinstance(r, dict)
            else self.find(None, None, "invoice")
            for r in refs
        ]
        left = value
        for i, doc in enumerate(docs):
            share = left if i == len(docs) - 1 else min(left, doc.total - doc.paid)
            if share > 0:
                self.pay(doc, share)
                left -= share


def _pad(number: str) -> str:
    return number.zfill(4) if number.isdigit() else number


def _bare_cif(cif: str) -> str:
    cif = cif.strip().upper()
    return cif[2:] if cif.startswith("RO") else cif


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
