"""An uncertain call is settled by what SmartBill holds, never by a guess."""

from __future__ import annotations

from decimal import Decimal

from integration.domain.reconciliation import (
    Absent,
    Candidate,
    Found,
    Unknown,
    decide,
    unclaimed_numbers,
)


def test_nothing_new_in_the_series_means_nothing_was_created() -> None:
    assert unclaimed_numbers(7, 7, set()) == []
    assert decide([], Decimal("10.00")) == Absent()


def test_numbers_our_documents_hold_are_not_candidates() -> None:
    assert unclaimed_numbers(5, 9, {5, 7}) == [6, 8]


def test_the_one_new_number_with_our_total_is_ours() -> None:
    found = decide([Candidate(7, Decimal("121.00"))], Decimal("121.00"))
    assert found == Found(7)


def test_a_new_number_with_another_total_is_not_taken_for_ours() -> None:
    verdict = decide([Candidate(7, Decimal("50.00"))], Decimal("121.00"))
    assert isinstance(verdict, Unknown)
    assert verdict.numbers == (7,)


def test_among_several_new_numbers_the_one_with_our_total_is_ours() -> None:
    candidates = [Candidate(7, Decimal("50.00")), Candidate(8, Decimal("121.00"))]
    assert decide(candidates, Decimal("121.00")) == Found(8)


def test_two_new_numbers_with_our_total_stop_for_review() -> None:
    candidates = [Candidate(7, Decimal("121.00")), Candidate(8, Decimal("121.00"))]
    assert isinstance(decide(candidates, Decimal("121.00")), Unknown)


def test_without_totals_only_a_single_new_number_is_found() -> None:
    assert decide([Candidate(3, None)], None) == Found(3)
    assert isinstance(decide([Candidate(3, None), Candidate(4, None)], None), Unknown)
