"""Pricing lines for a customer (the hot path) and the reference data priced with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cypher_runtime.db import session_scope
from pricing.cache import CUSTOMER, PRODUCT, RULES
from pricing.db.price_inputs import load_price_inputs
from pricing.domain.product import Product
from pricing.domain.promotion import Promotion
from pricing.domain.quote import Quote, quote
from pricing.domain.rules import RuleSet, Tier, VatCategory, VatRate
from pricing.errors import ValidationFailed
from pricing.service.prices import PriceBook


class QuoteService:
    def __init__(self, book: PriceBook) -> None:
        self.book = book

    async def quote(
        self, customer_id: str | None, lines: Sequence[tuple[str, int]], pricing_date: str
    ) -> Quote:
        """Price lines for a customer: cached inputs where possible, and whatever is missing
        (products + promotions, tier, rules) in one database round trip."""
        book = self.book
        now = book.clock.now()
        on, at, is_today = book.resolve_date(pricing_date, now)
        cache = book.cache
        generation = cache.generation
        rules: RuleSet | None = cache.get(RULES, RULES)
        products: dict[str, Product] = {}
        promotions: dict[str, tuple[Promotion, ...]] = {}
        missing: list[str] = []
        for sku in dict.fromkeys(sku for sku, _ in lines):
            entry = cache.get(PRODUCT, sku) if is_today else None
            if entry is None:
                missing.append(sku)
            else:
                products[sku], promotions[sku] = entry
        tier: Tier | None = cache.get(CUSTOMER, customer_id) if customer_id else None
        need_customer = customer_id is not None and tier is None
        if missing or need_customer or rules is None:
            async with session_scope(book.db) as session:
                inputs = await load_price_inputs(
                    session,
                    skus=missing,
                    promotions_ending_after=at,
                    customer_id=customer_id if need_customer else None,
                    spend_at=now,
                    spend_window=book.window,
                    with_rules=rules is None,
                )
            if inputs.rules is not None:
                rules = inputs.rules
                cache.put(RULES, RULES, rules, generation)
            for sku, product in inputs.products.items():
                products[sku] = product
                promotions[sku] = inputs.promotions[sku]
                if is_today:
                    cache.put(PRODUCT, sku, (product, promotions[sku]), generation)
            if need_customer and customer_id is not None and rules is not None:
                assert inputs.spend is not None
                tier = inputs.override or rules.tier_for_spend(inputs.spend).tier
                cache.put(CUSTOMER, customer_id, tier, generation)
        assert rules is not None
        unique = {p.id: p for promos in promotions.values() for p in promos}
        return quote(
            lines,
            products=products,
            promotions=unique.values(),
            tier=tier if tier is not None else rules.tiers[0].tier,
            rules=rules,
            at=at,
            on=on,
            floor_pct=book.floor_pct,
            default_currency=book.currency,
        )

    async def vat_rates(self, category: VatCategory | None, on_date: str) -> list[VatRate]:
        on: date | None = None
        if on_date:
            try:
                on = date.fromisoformat(on_date)
            except ValueError:
                raise ValidationFailed({"on_date": "expected YYYY-MM-DD"}) from None
        rules = await self.book.rules()
        return [
            r
            for r in rules.vat_rates
            if (category is None or r.category == category) and (on is None or r.in_force(on))
        ]
