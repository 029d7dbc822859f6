import pytest
from hypothesis import given
from hypothesis import strategies as st

from quotations.domain.lines import LineRequest, merged_lines
from quotations.errors import ValidationFailed


def test_duplicate_skus_are_merged_in_first_appearance_order() -> None:
    merged = merged_lines([LineRequest("B-1", 2), LineRequest("A-1", 1), LineRequest("B-1", 3)])
    assert merged == {"B-1": 5, "A-1": 1}
    assert list(merged) == ["B-1", "A-1"]


def test_empty_lines_are_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        merged_lines([])
    assert caught.value.fields == {"lines": "at least one line is required"}


def test_every_bad_line_is_named() -> None:
    with pytest.raises(ValidationFailed) as caught:
        merged_lines([LineRequest("OK-1", 1), LineRequest("", 0), LineRequest("X-1", -3)])
    assert caught.value.fields == {
        "lines[1].sku": "is required",
        "lines[1].quantity": "must be a positive whole number",
        "lines[2].quantity": "must be a positive whole number",
    }


line_strategy = st.builds(
    LineRequest,
    sku=st.sampled_from(["A-1", "B-2", "C-3", "D-4"]),
    quantity=st.integers(min_value=1, max_value=1000),
)


@given(st.lists(line_strategy, min_size=1, max_size=40))
def test_merging_keeps_every_unit_and_one_line_per_sku(lines: list[LineRequest]) -> None:
    merged = merged_lines(lines)
    assert sum(merged.values()) == sum(ln.quantity for ln in lines)
    assert set(merged) == {ln.sku for ln in lines}
    for sku, quantity in merged.items():
        assert quantity == sum(ln.quantity for ln in lines if ln.sku == sku)
