"""Configurable pricing rules: customer tiers, volume discounts and dated VAT rates.

The values live in database rows (seeded by a data migration); these classes only
say how a rule set is read. Tiers follow the "spend above" wording of the business
rules strictly: a spend equal to a threshold stays in the tier below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pricing.domain.money import ZERO
from pricing.errors import VatRateMissing


class Tier(StrEnum):
    STANDARD = "STANDARD"
    TIER_1 = "TIER_1"
    TIER_2 = "TIER_2"
    TIER_3 = "TIER_3"


class VatCategory(StrEnum):
    STANDARD = "STANDARD"
    REDUCED = "REDUCED"
    SUPER_REDUCED = "SUPER_REDUCED"
    EXEMPT = "EXEMPT"


@dataclass(frozen=True, slots=True)
class TierRule:
    """Spend strictly above `min_spend` over the rolling window reaches `tier`."""

    tier: Tier
    min_spend: Decimal
    discount_pct: Decimal


@dataclass(frozen=True, slots=True)
class VolumeRule:
    """Lines of at least `min_quantity` units get `discount_pct` off."""

    min_quantity: int
    discount_pct: Decimal


@dataclass(frozen=True, slots=True)
class VatRate:
    """`rate_pct` is in force from `valid_from` to `valid_to` (inclusive; None = open)."""

    category: VatCategory
    rate_pct: Decimal
    valid_from: date
    valid_to: date | None = None

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every rule needed to price, as loaded together (they change rarely)."""

    tiers: tuple[TierRule, ...]
    volumes: tuple[VolumeRule, ...]
    vat_rates: tuple[VatRate, ...]

    @staticmethod
    def of(
        tiers: Sequence[TierRule], volumes: Sequence[VolumeRule], vat_rates: Sequence[VatRate]
    ) -> RuleSet:
        if not tiers:
            raise ValueError("at least one tier rule (the base tier) is required")
        return RuleSet(
            tiers=tuple(sorted(tiers, key=lambda r: r.min_spend)),
            volumes=tuple(sorted(volumes, key=lambda r: r.min_quantity)),
            vat_rates=tuple(sorted(vat_rates, key=lambda r: (r.category, r.valid_from))),
        )

    def tier_rule(self, tier: Tier) -> TierRule:
        for rule in self.tiers:
            if rule.tier == tier:
                return rule
        # An override to a tier with no configured rule prices like the base tier.
        return TierRule(tier, ZERO, ZERO)

    def tier_for_spend(self, spend: Decimal) -> TierRule:
        """The highest tier whose threshold the spend is strictly above; else the base tier."""
        reached = self.tiers[0]
        for rule in self.tiers[1:]:
            if spend > rule.min_spend:
                reached = rule
        return reached

    def volume_discount_pct(self, quantity: int) -> Decimal:
        discount = ZERO
        for rule in self.volumes:
            if quantity >= rule.min_quantity:
                discount = rule.discount_pct
        return discount

    def vat_rate(self, category: VatCategory, on: date) -> Decimal:
        for rate in self.vat_rates:
            if rate.category == category and rate.in_force(on):
                return rate.rate_pct
        raise VatRateMissing(
            f"no {category} VAT rate in force on {on.isoformat()}",
            details={"vat_category": str(category), "date": on.isoformat()},
        )
