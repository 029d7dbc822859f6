"""Documents are built as the business rules say and add up as SmartBill adds them."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integration.domain.billing import CENT, cents, prepare
from integration.errors import CustomerDataIncomplete, UnknownVatCategory

from .factories import AT, AUGUST_RATES, JULY_RATES, TERMS, company, draft, line, source


def smartbill_total(d: object) -> Decimal:
    """SmartBill's own sum: per product qty × price × (1 + VAT) rounded, minus the VAT-included
    discount lines (what the account computes from the body we send)."""
    from integration.smartbill.payloads import product_lines

    assert hasattr(d, "lines")
    total = Decimal(0)
    for p in product_lines(d.lines, "RON"):
        if p.get("isDiscount"):
            total -= abs(Decimal(str(p["discountValue"])))
            continue
        amount = Decimal(str(p["quantity"])) * Decimal(str(p["price"]))
        amount = amount * (100 + Decimal(str(p["taxPercentage"]))) / 100
        total += amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return total


def test_line_vat_is_rounded_half_up_per_line_and_summed() -> None:
    d = draft(line("A", 3, "10.05"), line("B", 1, "0.10"))
    # A: net 30.15, VAT 21 % = 6.3315 → 6.33; B: net 0.10, VAT 0.021 → 0.02
    assert [(x.net, x.vat) for x in d.lines] == [
        (Decimal("30.15"), Decimal("6.33")),
        (Decimal("0.10"), Decimal("0.02")),
    ]
    assert d.totals.net == Decimal("30.25")
    assert d.totals.vat == Decimal("6.35")
    assert d.totals.gross == Decimal("36.60")


def test_vat_follows_the_rates_given_for_the_delivery_date() -> None:
    july = prepare(
        source(line("A", 1, "100.00")),
        vat_rates=JULY_RATES,
        terms=TERMS,
        issue_date=date(2025, 8, 4),
        vat_date=date(2025, 7, 30),
    )
    assert july.lines[0].vat_pct == Decimal(19)
    assert july.totals.vat == Decimal("19.00")
    assert july.vat_date == date(2025, 7, 30)
    assert july.issue_date == date(2025, 8, 4)
    assert july.due_date == date(2025, 8, 19)


def test_a_discounted_line_goes_at_list_price_with_a_discount_line_to_the_agreed_total() -> None:
    d = draft(line("A", 7, unit_net="8.55", list_price="10.00"))
    only = d.lines[0]
    assert only.price == Decimal("10.00")
    # list gross 7 × 10 × 1.21 = 84.70; agreed gross 59.85 + 12.57 = 72.42
    assert only.discount == Decimal("12.28")
    assert smartbill_total(d) == d.totals.gross == Decimal("72.42")


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=500),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal(5000), places=2),
            st.decimals(min_value=0, max_value=Decimal(40), places=2),
            st.sampled_from(["STANDARD", "REDUCED", "EXEMPT"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_smartbill_adds_up_to_our_totals_for_any_lines(
    lines: list[tuple[int, Decimal, Decimal, str]],
) -> None:
    built = [
        line(f"S{i}", qty, str(net), str(cents(net * (1 + off / 100))) if off else None, cat)
        for i, (qty, net, off, cat) in enumerate(lines)
    ]
    d = draft(*built)
    assert smartbill_total(d) == d.totals.gross
    assert d.totals.gross == d.totals.net + d.totals.vat


def test_a_company_without_cui_or_county_is_refused_naming_the_fields() -> None:
    party = company(vat_code="")
    bad = source(line(), party=party)
    bad = type(bad)(
        order_number=bad.order_number,
        currency="RON",
        party=type(party)(customer_id="c-9", name="X", company="Y SRL"),
        lines=bad.lines,
    )
    with pytest.raises(CustomerDataIncomplete) as caught:
        prepare(bad, vat_rates=AUGUST_RATES, terms=TERMS, issue_date=AT.date(), vat_date=AT.date())
    assert caught.value.missing == ("vat_code", "address.line1", "address.city", "address.county")
    assert caught.value.details["customer_id"] == "c-9"


def test_a_private_person_needs_no_cui() -> None:
    assert company(company="", vat_code="").missing_fields() == []


def test_a_category_without_rate_or_tax_name_is_refused() -> None:
    with pytest.raises(UnknownVatCategory):
        draft(line(category="SUPER_REDUCED"))
