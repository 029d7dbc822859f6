import pytest

from quotations.domain.numbering import quotation_number


def test_numbers_are_of_year_and_four_digits() -> None:
    assert quotation_number(2026, 1) == "OF-2026-0001"
    assert quotation_number(2026, 42) == "OF-2026-0042"
    assert quotation_number(2027, 9999) == "OF-2027-9999"


def test_numbers_grow_past_four_digits_rather_than_wrap() -> None:
    assert quotation_number(2026, 12345) == "OF-2026-12345"


def test_a_sequence_starts_at_one() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        quotation_number(2026, 0)
