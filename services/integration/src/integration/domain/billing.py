"""What a document is made of: the billed party, the lines at the order's prices, VAT at
the rate in force on the VAT date (the delivery date for an invoice), discounts, and the
totals — computed the way BUSINESS_RULES.md says (line VAT half-up to 2 places, document
VAT the sum of the line VATs), which is also how SmartBill adds them up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from integration.errors import CustomerDataIncomplete, UnknownVatCategory

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Address:
    line1: str = ""
    line2: str = ""
    city: str = ""
    county: str = ""
    postal_code: str = ""
    country: str = ""

    @property
    def street(self) -> str:
        return ", ".join(part for part in (self.line1, self.line2) if part)


@dataclass(frozen=True)
class BillingParty:
    """The customer block of a document, as the orders service holds the customer."""

    customer_id: str
    name: str
    email: str = ""
    company: str = ""
    vat_code: str = ""
    reg_com: str = ""
    address: Address = Address()

    @property
    def billed_name(self) -> str:
        return (self.company or self.name).strip()

    @property
    def is_company(self) -> bool:
        return bool(self.company.strip())

    def missing_fields(self) -> list[str]:
        """The fields an invoice needs that this customer lacks (empty = complete)."""
        missing: list[str] = []
        if not self.billed_name:
            missing.append("name")
        if self.is_company and not self.vat_code.strip():
            missing.append("vat_code")
        address = self.address
        if not address.line1.strip():
            missing.append("address.line1")
        if not address.city.strip():
            missing.append("address.city")
        country = (address.country or "RO").strip().upper()
        if country == "RO" and not address.county.strip():
            missing.append("address.county")
        return missing

    def require_complete(self) -> None:
        missing = self.missing_fields()
        if missing:
            raise CustomerDataIncomplete(self.customer_id, missing)


@dataclass(frozen=True)
class SourceLine:
    """One order line as it is billed: the net unit price agreed on the order, and the
    list price when discounts brought it down (shown as a SmartBill discount line)."""

    sku: str
    name: str
    unit: str
    quantity: int
    unit_net: Decimal
    vat_category: str
    list_price: Decimal | None = None


@dataclass(frozen=True)
class BillingSource:
    """Everything a document is built from, frozen when the intent is recorded."""

    order_number: str
    currency: str
    party: BillingParty
    lines: tuple[SourceLine, ...]


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal

    @staticmethod
    def of(lines: Sequence[DraftLine]) -> Totals:
        net = sum((line.net for line in lines), ZERO)
        vat = sum((line.vat for line in lines), ZERO)
        return Totals(net=net, vat=vat, gross=net + vat)

    def negated(self) -> Totals:
        return Totals(net=-self.net, vat=-self.vat, gross=-self.gross)


@dataclass(frozen=True)
class DraftLine:
    """A product line of a prepared document. `price` is what SmartBill sees per unit
    (net, VAT added by SmartBill); `discount` is the VAT-included amount of the
    discount line that follows it (zero = no discount line)."""

    sku: str
    name: str
    unit: str
    quantity: int
    price: Decimal
    tax_name: str
    vat_pct: Decimal
    unit_net: Decimal
    net: Decimal
    vat: Decimal
    discount: Decimal = ZERO

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


@dataclass(frozen=True)
class Draft:
    """A document ready to be sent: what goes to SmartBill, built once and then sent
    as is on every attempt (the same body each time)."""

    party: BillingParty
    currency: str
    lines: tuple[DraftLine, ...]
    totals: Totals
    issue_date: date
    due_date: date | None
    vat_date: date
    mentions: str


@dataclass(frozen=True)
class BillingTerms:
    """Settings that shape a document: SmartBill tax names per VAT category and the
    payment term of invoices."""

    tax_names: Mapping[str, str]
    payment_days: int


def draft_line(
    line: SourceLine, *, vat_pct: Decimal, tax_name: str, show_discount: bool
) -> DraftLine:
    net = cents(line.unit_net * line.quantity)
    vat = cents(net * vat_pct / HUNDRED)
    price = line.unit_net
    discount = ZERO
    if show_discount and line.list_price is not None and line.list_price > line.unit_net:
        # SmartBill adds VAT per line and rounds; the discount line takes off exactly the
        # difference, so SmartBill's total is the order's agreed total to the cent.
        list_gross = cents(line.list_price * line.quantity * (HUNDRED + vat_pct) / HUNDRED)
        price = line.list_price
        discount = list_gross - (net + vat)
    return DraftLine(
        sku=line.sku,
        name=line.name or line.sku,
        unit=line.unit or "buc",
        quantity=line.quantity,
        price=price,
        tax_name=tax_name,
        vat_pct=vat_pct,
        unit_net=line.unit_net,
        net=net,
        vat=vat,
        discount=discount,
    )


def prepare(
    source: BillingSource,
    *,
    vat_rates: Mapping[str, Decimal],
    terms: BillingTerms,
    issue_date: date,
    vat_date: date,
    with_due_date: bool = True,
) -> Draft:
    """Build the document. `vat_rates` are the rates (percent) in force on `vat_date`
    by VAT category; a line whose category has no rate or tax name is refused."""
    source.party.require_complete()
    lines: list[DraftLine] = []
    for line in source.lines:
        if line.quantity == 0:
            continue
        pct = vat_rates.get(line.vat_category)
        tax_name = terms.tax_names.get(line.vat_category)
        if pct is None or tax_name is None:
            raise UnknownVatCategory(line.sku, line.vat_category)
        lines.append(draft_line(line, vat_pct=pct, tax_name=tax_name, show_discount=True))
    return Draft(
        party=source.party,
        currency=source.currency,
        lines=tuple(lines),
        totals=Totals.of(lines),
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=terms.payment_days) if with_due_date else None,
        vat_date=vat_date,
        mentions=f"Comanda {source.order_number}" if source.order_number else "",
    )


def categories(source: BillingSource) -> set[str]:
    return {line.vat_category for line in source.lines}


def same_lines(a: Draft, b: Draft) -> bool:
    """True when two drafts bill the same goods at the same prices and VAT: an invoice
    can then be made from the proforma as SmartBill holds it."""

    def key(d: Draft) -> list[tuple[str, int, Decimal, Decimal, Decimal]]:
        return sorted((x.sku, x.quantity, x.unit_net, x.vat_pct, x.discount) for x in d.lines)

    return key(a) == key(b) and a.totals == b.totals
