"""Price changes, the alert threshold rule and mappings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suppliers.domain.feed import FeedItem
from suppliers.domain.products import (
    AlertStatus,
    PriceAlert,
    change_pct,
    first_seen,
    raises_alert,
)
from suppliers.errors import ValidationFailed

T0 = datetime(2026, 12, 3, 10, tzinfo=UTC)
TEN = Decimal("10")


def item(price: str, *, stock: int | None = 5, name: str = "Panou") -> FeedItem:
    return FeedItem("ML1", name, Decimal(price), stock is None or stock > 0, stock, "")


@pytest.mark.parametrize(
    ("old", "new", "pct", "alert"),
    [
        ("100", "110", "10.00", False),  # exactly the threshold: no alert
        ("100", "110.01", "10.01", True),
        ("100", "115", "15.00", True),
        ("100", "89.99", "-10.01", True),
        ("100", "90", "-10.00", False),
        ("3", "3.01", "0.33", False),
    ],
)
def test_threshold_rule(old: str, new: str, pct: str, alert: bool) -> None:
    got = change_pct(Decimal(old), Decimal(new))
    assert got == Decimal(pct)
    assert raises_alert(got, TEN) is alert


@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2),
)
def test_alert_is_symmetric_in_sign_and_never_for_small_moves(a: Decimal, b: Decimal) -> None:
    pct = change_pct(a, b)
    assert raises_alert(pct, TEN) == raises_alert(-pct, TEN)
    if abs(b - a) * 100 <= a * Decimal("9.99"):
        assert not raises_alert(pct, TEN)


def test_observing_the_same_item_changes_nothing_but_last_seen() -> None:
    product = first_seen("p1", "s1", "RON", item("10.00"), T0)
    later = T0 + timedelta(hours=4)
    same, change = product.observed(item("10.00"), later, TEN)
    assert change is None
    assert same.version == product.version
    assert same.last_seen_at == later


def test_a_price_change_is_reported_and_versions_the_product() -> None:
    product = first_seen("p1", "s1", "RON", item("10.00"), T0)
    moved, change = product.observed(item("11.50"), T0 + timedelta(hours=4), TEN)
    assert change is not None
    assert (change.old_price, change.new_price, change.change_pct, change.alert) == (
        Decimal("10.00"),
        Decimal("11.50"),
        Decimal("15.00"),
        True,
    )
    assert moved.version == 2
    assert moved.price_changed_at == T0 + timedelta(hours=4)


def test_a_stock_change_versions_without_a_price_change() -> None:
    product = first_seen("p1", "s1", "RON", item("10.00"), T0)
    moved, change = product.observed(item("10.00", stock=0), T0, TEN)
    assert change is None
    assert moved.version == 2
    assert not moved.in_stock


def test_mapping() -> None:
    product = first_seen("p1", "s1", "RON", item("10.00"), T0)
    mapped = product.mapped_to(" LED-PANEL-60 ")
    assert mapped.sku == "LED-PANEL-60"
    assert mapped.version == 2
    assert mapped.mapped_to("LED-PANEL-60") is mapped
    with pytest.raises(ValidationFailed):
        product.mapped_to("  ")


def test_acknowledging_an_alert_is_idempotent() -> None:
    alert = PriceAlert(
        "a1",
        "s1",
        "ML1",
        None,
        Decimal(10),
        Decimal(12),
        "RON",
        Decimal(20),
        AlertStatus.OPEN,
        "r1",
        T0,
    )
    done = alert.acknowledged(T0 + timedelta(minutes=1))
    again = done.acknowledged(T0 + timedelta(minutes=5))
    assert again is done
    assert done.acknowledged_at == T0 + timedelta(minutes=1)
