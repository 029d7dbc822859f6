"""Returns after invoicing: storno for everything, a credit invoice for a part."""

from __future__ import annotations

from decimal import Decimal

from integration.domain.credits import CreditNotePlan, NothingToCredit, StornoPlan, plan_credit

from .factories import AT, draft, line, smartbill_like

INVOICE = draft(line("A", 10, "12.35", list_price="13.00"), line("B", 2, "100.00"))


def test_the_whole_invoice_returned_is_a_storno_of_its_total() -> None:
    plan = plan_credit(INVOICE, [], {"A": 10, "B": 2}, reversed_already=False, issue_date=AT.date())
    assert isinstance(plan, StornoPlan)
    assert plan.draft.totals.gross == -INVOICE.totals.gross


def test_a_part_returned_is_a_credit_invoice_with_negative_lines_at_the_invoice_prices() -> None:
    plan = plan_credit(INVOICE, [], {"A": 4}, reversed_already=False, issue_date=AT.date())
    assert isinstance(plan, CreditNotePlan)
    (credit,) = plan.draft.lines
    assert credit.quantity == -4
    assert credit.price == Decimal("12.35")  # the net billed, no discount line to undo
    assert credit.vat_pct == INVOICE.lines[0].vat_pct
    assert plan.draft.totals.net == Decimal("-49.40")
    assert smartbill_like(plan.draft) == plan.draft.totals.gross


def test_after_a_partial_credit_the_rest_is_another_credit_invoice_not_a_storno() -> None:
    first = plan_credit(INVOICE, [], {"A": 4}, reversed_already=False, issue_date=AT.date())
    assert isinstance(first, CreditNotePlan)
    rest = plan_credit(
        INVOICE, [first.draft], {"A": 10, "B": 2}, reversed_already=False, issue_date=AT.date()
    )
    assert isinstance(rest, CreditNotePlan)
    assert {x.sku: x.quantity for x in rest.draft.lines} == {"A": -6, "B": -2}


def test_nothing_is_credited_twice() -> None:
    assert isinstance(
        plan_credit(INVOICE, [], {"A": 1}, reversed_already=True, issue_date=AT.date()),
        NothingToCredit,
    )
    assert isinstance(
        plan_credit(INVOICE, [], {"Z": 1}, reversed_already=False, issue_date=AT.date()),
        NothingToCredit,
    )
