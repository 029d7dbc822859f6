"""The business rules' default numbers (BUSINESS_RULES.md, "Pricing").

Production reads the rules from database rows seeded by migration 0003 (which keeps
its own copy: a migration is history and must not change when this file does); this
module gives the same defaults to tests and tools.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pricing.domain.rules import RuleSet, Tier, TierRule, VatCategory, VatRate, VolumeRule

TIER_RULES = (
    TierRule(Tier.STANDARD, Decimal(0), Decimal(0)),
    TierRule(Tier.TIER_1, Decimal(5000), Decimal(5)),
    TierRule(Tier.TIER_2, Decimal(15000), Decimal(10)),
    TierRule(Tier.TIER_3, Decimal(30000), Decimal(15)),
)

VOLUME_RULES = (
    VolumeRule(0, Decimal(0)),
    VolumeRule(10, Decimal(2)),
    VolumeRule(50, Decimal(5)),
    VolumeRule(100, Decimal(8)),
)

_CHANGE = date(2025, 8, 1)
_LAST_OLD = date(2025, 7, 31)
_START = date(2000, 1, 1)

VAT_RATES = (
    VatRate(VatCategory.STANDARD, Decimal(19), _START, _LAST_OLD),
    VatRate(VatCategory.STANDARD, Decimal(21), _CHANGE, None),
    VatRate(VatCategory.REDUCED, Decimal(9), _START, _LAST_OLD),
    VatRate(VatCategory.REDUCED, Decimal(11), _CHANGE, None),
    VatRate(VatCategory.SUPER_REDUCED, Decimal(5), _START, _LAST_OLD),
    VatRate(VatCategory.SUPER_REDUCED, Decimal(11), _CHANGE, None),
    VatRate(VatCategory.EXEMPT, Decimal(0), _START, None),
)


def default_rules() -> RuleSet:
    return RuleSet.of(TIER_RULES, VOLUME_RULES, VAT_RATES)
