"""Romanian CUI check digit (key 753217532), optional RO prefix."""

from __future__ import annotations

import pytest

from orders.domain.cui import InvalidCui, check_digit, is_valid_cui, normalize_cui


@pytest.mark.parametrize("cui", ["14399840", "RO14399840", "18547290", "1590082", "ro 13548146"])
def test_real_company_codes_are_valid(cui: str) -> None:
    assert is_valid_cui(cui)


@pytest.mark.parametrize(
    "cui",
    ["14399841", "RO14399842", "1", "12345678901", "RO", "", "ABC", "01590082", "DE14399840"],
)
def test_wrong_digits_or_shapes_are_invalid(cui: str) -> None:
    assert not is_valid_cui(cui)


def test_check_digit_follows_the_standard_algorithm() -> None:
    # 1439984 right-aligned on 753217532: 0*7+0*5+1*3+4*2+3*1+9*7+9*5+8*3+4*2 = 154;
    # 154*10 % 11 = 0.
    assert check_digit("1439984") == 0


def test_a_remainder_of_ten_means_zero() -> None:
    # "1" → 1*2 = 2 → 20 % 11 = 9; find a body whose remainder is 10 and check it maps to 0.
    body = next(
        b
        for b in (str(n) for n in range(10, 100_000))
        if (
            sum(int(d) * int(k) for d, k in zip(b.rjust(9, "0"), "753217532", strict=True))
            * 10
            % 11
            == 10
        )
    )
    assert check_digit(body) == 0
    assert is_valid_cui(body + "0")


def test_normalize_keeps_the_ro_prefix_upper_case_without_spaces() -> None:
    assert normalize_cui(" ro 14399840 ") == "RO14399840"
    assert normalize_cui("14399840") == "14399840"


def test_invalid_cui_says_why() -> None:
    with pytest.raises(InvalidCui, match="check digit"):
        normalize_cui("14399841")
