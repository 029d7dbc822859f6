"""Tier, volume and VAT rules at every boundary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pricing.domain.defaults import default_rules
from pricing.domain.rules import RuleSet, Tier, TierRule, VatCategory
from pricing.errors import VatRateMissing

RULES = default_rules()


@pytest.mark.parametrize(
    ("spend", "tier", "discount"),
    [
        ("0", Tier.STANDARD, "0"),
        ("4999.99", Tier.STANDARD, "0"),
        # "spend above": exactly the threshold stays in the tier below.
        ("5000.00", Tier.STANDARD, "0"),
        ("5000.01", Tier.TIER_1, "5"),
        ("15000.00", Tier.TIER_1, "5"),
        ("15000.01", Tier.TIER_2, "10"),
        ("30000.00", Tier.TIER_2, "10"),
        ("30000.01", Tier.TIER_3, "15"),
        ("1000000", Tier.TIER_3, "15"),
    ],
)
def test_tier_is_reached_only_strictly_above_its_threshold(
    spend: str, tier: Tier, discount: str
) -> None:
    rule = RULES.tier_for_spend(Decimal(spend))

    assert rule.tier == tier
    assert rule.discount_pct == Decimal(discount)


@pytest.mark.parametrize(
    ("quantity", "discount"),
    [(1, "0"), (9, "0"), (10, "2"), (49, "2"), (50, "5"), (99, "5"), (100, "8"), (10_000, "8")],
)
def test_volume_discount_by_line_quantity(quantity: int, discount: str) -> None:
    assert RULES.volume_discount_pct(quantity) == Decimal(discount)


@pytest.mark.parametrize(
    ("category", "day", "rate"),
    [
        (VatCategory.STANDARD, date(2025, 7, 31), "19"),
        (VatCategory.STANDARD, date(2025, 8, 1), "21"),
        (VatCategory.REDUCED, date(2025, 7, 31), "9"),
        (VatCategory.REDUCED, date(2025, 8, 1), "11"),
        (VatCategory.SUPER_REDUCED, date(2025, 7, 31), "5"),
        (VatCategory.SUPER_REDUCED, date(2025, 8, 1), "11"),
        (VatCategory.EXEMPT, date(2026, 1, 1), "0"),
    ],
)
def test_vat_rate_in_force_on_the_pricing_date(category: VatCategory, day: date, rate: str) -> None:
    assert RULES.vat_rate(category, day) == Decimal(rate)


def test_missing_vat_rate_is_a_coded_error() -> None:
    rules = RuleSet.of([TierRule(Tier.STANDARD, Decimal(0), Decimal(0))], [], [])

    with pytest.raises(VatRateMissing) as caught:
        rules.vat_rate(VatCategory.STANDARD, date(2026, 1, 1))

    assert caught.value.code == "VAT_RATE_MISSING"


def test_override_to_an_unconfigured_tier_prices_like_no_discount() -> None:
    rules = RuleSet.of([TierRule(Tier.STANDARD, Decimal(0), Decimal(0))], [], [])

    assert rules.tier_rule(Tier.TIER_3).discount_pct == Decimal(0)


def test_rules_are_read_in_threshold_order_whatever_the_row_order() -> None:
    shuffled = RuleSet.of(
        [
            TierRule(Tier.TIER_2, Decimal(15000), Decimal(10)),
            TierRule(Tier.STANDARD, Decimal(0), Decimal(0)),
            TierRule(Tier.TIER_1, Decimal(5000), Decimal(5)),
        ],
        [],
        [],
    )

    assert shuffled.tier_for_spend(Decimal("20000")).tier == Tier.TIER_2
    assert shuffled.tier_for_spend(Decimal("10")).tier == Tier.STANDARD
