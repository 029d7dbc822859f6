"""Credit documents for goods returned after invoicing: a storno when the whole invoice
comes back (and nothing of it was credited before), otherwise a credit invoice with
negative lines at the invoice's own prices and VAT rates (never today's)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from integration.domain.billing import Draft, DraftLine, Totals, cents


@dataclass(frozen=True)
class StornoPlan:
    """Reverse the whole invoice (SmartBill `POST /invoice/reverse`); the draft is the
    invoice with every line negated (what SmartBill's storno holds)."""

    draft: Draft


@dataclass(frozen=True)
class CreditNotePlan:
    draft: Draft


@dataclass(frozen=True)
class NothingToCredit:
    reason: str


CreditPlan = StornoPlan | CreditNotePlan | NothingToCredit


def invoiced_quantities(draft: Draft) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in draft.lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals


def plan_credit(
    invoice: Draft,
    earlier_credits: Sequence[Draft],
    returned: Mapping[str, int],
    *,
    reversed_already: bool,
    issue_date: date,
) -> CreditPlan:
    """`earlier_credits`: the drafts of credit documents already made for this invoice;
    `reversed_already`: one of them is a storno (everything is credited)."""
    if reversed_already:
        return NothingToCredit("the invoice was already reversed (storno)")
    invoiced = invoiced_quantities(invoice)
    credited: dict[str, int] = {}
    for draft in earlier_credits:
        for sku, qty in invoiced_quantities(draft).items():
            credited[sku] = credited.get(sku, 0) - qty  # credit lines are negative
    open_qty = {sku: qty - credited.get(sku, 0) for sku, qty in invoiced.items()}
    wanted = {
        sku: min(qty, open_qty.get(sku, 0))
        for sku, qty in returned.items()
        if qty > 0 and open_qty.get(sku, 0) > 0
    }
    if not wanted:
        return NothingToCredit("no invoiced quantity left to credit for the returned lines")
    if not credited and wanted == {sku: q for sku, q in invoiced.items() if q > 0}:
        return StornoPlan(_negated(invoice, invoice.lines, wanted, issue_date, "Storno"))
    return CreditNotePlan(_negated(invoice, invoice.lines, wanted, issue_date, "Retur"))


def _negated(
    invoice: Draft,
    lines: Sequence[DraftLine],
    wanted: Mapping[str, int],
    issue_date: date,
    label: str,
) -> Draft:
    credit_lines = tuple(_negative(line, wanted[line.sku]) for line in lines if line.sku in wanted)
    # A sku on several invoice lines: credit it once, on its first line.
    seen: set[str] = set()
    unique: list[DraftLine] = []
    for line in credit_lines:
        if line.sku not in seen:
            seen.add(line.sku)
            unique.append(line)
    return Draft(
        party=invoice.party,
        currency=invoice.currency,
        lines=tuple(unique),
        totals=Totals.of(unique),
        issue_date=issue_date,
        due_date=None,
        vat_date=invoice.vat_date,
        mentions=f"{label}: {invoice.mentions}" if invoice.mentions else label,
    )


def _negative(line: DraftLine, quantity: int) -> DraftLine:
    net = cents(line.unit_net * -quantity)
    vat = cents(net * line.vat_pct / 100)
    # Credit lines go at the net price actually billed: no discount line to undo.
    return DraftLine(
        sku=line.sku,
        name=line.name,
        unit=line.unit,
        quantity=-quantity,
        price=line.unit_net,
        tax_name=line.tax_name,
        vat_pct=line.vat_pct,
        unit_net=line.unit_net,
        net=net,
        vat=vat,
    )
