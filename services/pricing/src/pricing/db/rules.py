"""The pricing rules' rows (tier thresholds, volume discounts, dated VAT rates), read
together as one `RuleSet`; migration 0003 seeds them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pricing.db.tables import TierRuleRow, VatRateRow, VolumeRuleRow
from pricing.domain.rules import RuleSet, Tier, TierRule, VatCategory, VatRate, VolumeRule


class Rules:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def load(self) -> RuleSet:
        tiers = (await self.session.execute(select(TierRuleRow))).scalars().all()
        volumes = (await self.session.execute(select(VolumeRuleRow))).scalars().all()
        rates = (await self.session.execute(select(VatRateRow))).scalars().all()
        return RuleSet.of(
            [TierRule(Tier(t.tier), t.min_spend, t.discount_pct) for t in tiers],
            [VolumeRule(v.min_quantity, v.discount_pct) for v in volumes],
            [
                VatRate(VatCategory(r.vat_category), r.rate_pct, r.valid_from, r.valid_to)
                for r in rates
            ],
        )
