"""The row rules every format shares: prices, stock, flags."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suppliers.domain.feed import (
    PriceBounds,
    RowRejected,
    make_item,
    parse_flag,
    parse_price,
    parse_stock,
)

BOUNDS = PriceBounds()


@pytest.mark.parametrize(
    ("raw", "decimal_comma", "expected"),
    [
        ("12.50", False, "12.50"),
        ("1,234.56", False, "1234.56"),
        ("12,50", True, "12.50"),
        ("1.234,56 lei", True, "1234.56"),
        (" 7 RON", False, "7"),
        (3.5, False, "3.5"),
        (12, False, "12"),
        ("€ 9.99", False, "9.99"),
    ],
)
def test_prices_read_as_written(raw: str | float, decimal_comma: bool, expected: str) -> None:
    assert parse_price(raw, decimal_comma=decimal_comma, bounds=BOUNDS) == Decimal(expected)


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "-1.00", "0", "0.001", "1e5", "NaN", "Infinity", "12.34.56", "2000000", None, True],
)
def test_unusable_prices_are_rejected(raw: str | None) -> None:
    with pytest.raises(RowRejected):
        parse_price(raw, decimal_comma=False, bounds=BOUNDS)


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2))
def test_a_price_written_the_romanian_way_reads_back_the_same(price: Decimal) -> None:
    whole, cents = f"{price:.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    assert parse_price(f"{grouped},{cents}", decimal_comma=True, bounds=BOUNDS) == price
    assert parse_price(f"{int(whole):,}.{cents}", decimal_comma=False, bounds=BOUNDS) == price


def test_stock_and_flags() -> None:
    assert parse_stock("12") == 12
    assert parse_stock("") is None
    assert parse_stock(4.0) == 4
    for bad in ("-1", "x", 2.5, "99999999999999"):
        with pytest.raises(RowRejected):
            parse_stock(bad)
    assert parse_flag("DA") is True
    assert parse_flag("out of stock") is False
    assert parse_flag(None) is None
    with pytest.raises(RowRejected):
        parse_flag("perhaps")


def test_an_item_without_stock_information_counts_as_available() -> None:
    item = make_item(sku="X-1", price="5", decimal_comma=False, bounds=BOUNDS)
    assert item.in_stock
    assert item.stock_quantity is None
    zero = make_item(
        sku="X-1", price="5", stock="0", in_stock="da", decimal_comma=False, bounds=BOUNDS
    )
    assert not zero.in_stock  # a quantity says more than a flag


def test_a_sku_must_look_like_a_code() -> None:
    with pytest.raises(RowRejected):
        make_item(sku="<script>alert(1)</script>", price="5", decimal_comma=False, bounds=BOUNDS)
    with pytest.raises(RowRejected):
        make_item(sku="x" * 101, price="5", decimal_comma=False, bounds=BOUNDS)
