"""What every use case prices with: the rules (cached), the VAT calendar's "today",
the effective (shop) price of a product, and the announcement of price changes caused
by promotions starting or ending."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, UnitOfWork, session_scope
from pricing import events
from pricing.cache import RULES, PriceCache, TouchedByUnitOfWork
from pricing.db.products import Products
from pricing.db.rules import Rules
from pricing.domain.price_change import PriceChanged, PriceChangeReason
from pricing.domain.product import Product
from pricing.domain.promotion import Promotion
from pricing.domain.quote import PricedLine, effective_price
from pricing.domain.rules import RuleSet
from pricing.errors import ValidationFailed
from pricing.settings import PricingSettings


class PriceBook:
    """Collaborators and settings shared by the use cases of every aggregate."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        settings: PricingSettings,
        cache: PriceCache,
        touched: TouchedByUnitOfWork,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.cache = cache
        self.touched = touched
        self.tz = ZoneInfo(settings.vat_timezone)
        self.window = timedelta(days=settings.spend_window_days)
        self.floor_pct = settings.margin_floor_pct
        self.currency = settings.default_currency

    def today(self, now: datetime) -> date:
        """The calendar date of `now` where VAT applies (Europe/Bucharest by default)."""
        return now.astimezone(self.tz).date()

    def resolve_date(self, text: str, now: datetime) -> tuple[date, datetime, bool]:
        """(pricing date, instant promotions are evaluated at, is it today).

        Today prices at the current instant; another date at its first instant (local
        midnight), so a quotation dated ahead sees the promotions running that morning."""
        today = self.today(now)
        if not text:
            return today, now, True
        try:
            on = date.fromisoformat(text)
        except ValueError:
            raise ValidationFailed({"pricing_date": "expected YYYY-MM-DD"}) from None
        if len(text) != 10:
            raise ValidationFailed({"pricing_date": "expected YYYY-MM-DD"})
        if on == today:
            return on, now, True
        return on, datetime.combine(on, time(0), self.tz), False

    async def rules(self) -> RuleSet:
        cached: RuleSet | None = self.cache.get(RULES, RULES)
        if cached is not None:
            return cached
        generation = self.cache.generation
        async with session_scope(self.db) as session:
            rules = await Rules(session).load()
        self.cache.put(RULES, RULES, rules, generation)
        return rules

    async def effective(
        self, product: Product, promos: Sequence[Promotion], *, at: datetime, now: datetime
    ) -> PricedLine:
        return effective_price(
            product,
            promos,
            at=at,
            on=self.today(now),
            rules=await self.rules(),
            floor_pct=self.floor_pct,
        )

    async def announce_promotion_change(
        self,
        uow: UnitOfWork,
        targets: Sequence[Product],
        *,
        before: Sequence[Promotion],
        after: Sequence[Promotion],
        at_before: datetime,
        at_after: datetime,
        detail: str,
        now: datetime,
    ) -> None:
        """price.updated (with a new product version) for every target whose effective
        price differs between (before, at_before) and (after, at_after)."""
        products = Products(uow.session)
        for product in targets:
            old = await self.effective(product, before, at=at_before, now=now)
            new = await self.effective(product, after, at=at_after, now=now)
            if old.unit_net == new.unit_net:
                continue
            version = await products.bump_version(product.sku, now=now)
            change = PriceChanged(
                before=product,
                after=replace(product, version=version),
                old=old,
                new=new,
                reason=PriceChangeReason.PROMOTION,
                detail=detail,
                at=now,
            )
            uow.publish(*events.published(change))
