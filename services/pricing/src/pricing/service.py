"""Use cases of the pricing service.

Every write use case takes the unit of work it runs in and a `Touched` collector, and
never commits: the entrypoint commits (`PricingService.run` for gRPC, the inbox
consumer for events) and only then drops what was touched from the cache, so no reader
can put a pre-commit value back after the invalidation.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from cypher_runtime.clock import Clock
from cypher_runtime.context import current_actor
from cypher_runtime.db import Database, UnitOfWork, session_scope
from pricing import events
from pricing.cache import CUSTOMER, PRODUCT, RULES, PriceCache
from pricing.domain.customer import CustomerTier, unseen_customer, with_override, with_spend
from pricing.domain.errors import InvalidInput, RuleViolation
from pricing.domain.product import Product, ProductChanges, apply_changes, validated
from pricing.domain.promotion import Promotion, end_promotion, new_promotion
from pricing.domain.quote import PricedLine, Quote, effective_price, quote
from pricing.domain.rules import RuleSet, Tier, VatCategory, VatRate
from pricing.errors import (
    DuplicateSku,
    ProductNotFound,
    PromotionNotFound,
    VersionConflict,
)
from pricing.settings import PricingSettings
from pricing.store import (
    START,
    Customers,
    HistoryEntry,
    PriceHistory,
    Products,
    Promotions,
    Rules,
    StoredProduct,
    load_price_inputs,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
MICROSECOND = timedelta(microseconds=1)
COST_QUANTUM = Decimal("0.0001")


@dataclass
class Touched:
    """What a unit of work changed, to be dropped from the cache after it commits."""

    skus: set[str] = field(default_factory=set)
    all_products: bool = False
    customers: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class NewProduct:
    sku: str
    name: str
    category: str
    unit: str
    cost: Decimal
    margin_pct: Decimal
    currency: str
    vat_category: VatCategory
    supplier_id: str | None
    follows_supplier_price: bool
    description: str


@dataclass(frozen=True, slots=True)
class NewPromotion:
    name: str
    sku: str | None
    category: str | None
    discount_pct: Decimal
    starts_at: datetime | None
    ends_at: datetime | None


@dataclass(frozen=True, slots=True)
class TierView:
    state: CustomerTier
    updated_at: datetime | None


Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Page(Generic[Item]):
    items: list[Item]
    next_key: list[object] | None


class PricingService:
    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        settings: PricingSettings,
        cache: PriceCache,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.cache = cache
        self.tz = ZoneInfo(settings.vat_timezone)
        self.window = timedelta(days=settings.spend_window_days)
        self.floor_pct = settings.margin_floor_pct
        self.currency = settings.default_currency

    # -- plumbing --------------------------------------------------------------------------
    async def run(self, use_case: Callable[[UnitOfWork, Touched], Awaitable[T]]) -> T:
        """Run a write use case in its own transaction, then invalidate what it touched."""
        touched = Touched()
        async with self.db.unit_of_work() as uow:
            result = await use_case(uow, touched)
            await uow.commit()
        self.forget(touched)
        return result

    def forget(self, touched: Touched) -> None:
        if touched.all_products:
            self.cache.invalidate_all_products()
        elif touched.skus:
            self.cache.invalidate_skus(touched.skus)
        for customer_id in touched.customers:
            self.cache.invalidate_customer(customer_id)

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
            raise InvalidInput({"pricing_date": "expected YYYY-MM-DD"}) from None
        if len(text) != 10:
            raise InvalidInput({"pricing_date": "expected YYYY-MM-DD"})
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

    # -- pricing (the hot path) ------------------------------------------------------------
    async def quote(
        self, customer_id: str | None, lines: Sequence[tuple[str, int]], pricing_date: str
    ) -> Quote:
        """Price lines for a customer: cached inputs where possible, and whatever is missing
        (products + promotions, tier, rules) in one database round trip."""
        now = self.clock.now()
        on, at, is_today = self.resolve_date(pricing_date, now)
        cache = self.cache
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
            async with session_scope(self.db) as session:
                inputs = await load_price_inputs(
                    session,
                    skus=missing,
                    promotions_ending_after=at,
                    customer_id=customer_id if need_customer else None,
                    spend_at=now,
                    spend_window=self.window,
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
            floor_pct=self.floor_pct,
            default_currency=self.currency,
        )

    # -- products --------------------------------------------------------------------------
    async def get_product(self, sku: str) -> StoredProduct:
        async with session_scope(self.db) as session:
            stored = await Products(session).get(sku)
        if stored is None:
            raise ProductNotFound(f"unknown sku {sku}", details={"sku": sku})
        return stored

    async def list_products(
        self,
        *,
        cursor: list[object] | None,
        limit: int,
        category: str,
        search: str,
        supplier_id: str,
        include_inactive: bool,
    ) -> Page[StoredProduct]:
        after = str(cursor[0]) if cursor else None
        async with session_scope(self.db) as session:
            items = await Products(session).page(
                after_sku=after,
                limit=limit + 1,
                category=category,
                search=search,
                supplier_id=supplier_id,
                include_inactive=include_inactive,
            )
        more = len(items) > limit
        items = items[:limit]
        return Page(items, [items[-1].product.sku] if more else None)

    async def create_product(
        self, uow: UnitOfWork, touched: Touched, cmd: NewProduct
    ) -> StoredProduct:
        now = self.clock.now()
        product = validated(
            Product(
                sku=cmd.sku,
                name=cmd.name,
                category=cmd.category,
                unit=cmd.unit,
                cost=cmd.cost,
                margin_pct=cmd.margin_pct,
                currency=cmd.currency,
                vat_category=cmd.vat_category,
                supplier_id=cmd.supplier_id or None,
                follows_supplier_price=cmd.follows_supplier_price,
                description=cmd.description,
            )
        )
        if not await Products(uow.session).add(product, now=now):
            raise DuplicateSku(f"sku {product.sku} already exists", details={"sku": product.sku})
        await PriceHistory(uow.session).add(
            before=None,
            after=product,
            reason="CREATED",
            reason_detail="",
            at=now,
            actor=current_actor(),
        )
        promos = await Promotions(uow.session).affecting([product], ending_after=now)
        new = await self._effective(product, promos, at=now, now=now)
        stored = StoredProduct(product, now, now)
        uow.publish(
            events.product_upserted(stored, created=True, at=now),
            events.price_updated(
                before=None,
                after=product,
                old_effective=None,
                new_effective=new,
                reason="CREATED",
                detail="",
                at=now,
            ),
        )
        touched.skus.add(product.sku)
        return stored

    async def update_product(
        self,
        uow: UnitOfWork,
        touched: Touched,
        sku: str,
        changes: ProductChanges,
        *,
        expected_version: int = 0,
        reason_detail: str = "",
        currency: str = "",
    ) -> StoredProduct:
        stored = await Products(uow.session).get(sku, lock=True)
        if stored is None:
            raise ProductNotFound(f"unknown sku {sku}", details={"sku": sku})
        before = stored.product
        if expected_version and expected_version != before.version:
            raise VersionConflict(
                f"product {sku} is at version {before.version}, not {expected_version}",
                details={"sku": sku, "expected": expected_version, "actual": before.version},
            )
        if currency and currency != before.currency:
            raise InvalidInput({"cost.currency": f"must be the product currency {before.currency}"})
        after = apply_changes(before, changes)
        if after is before:
            return stored
        return await self._store_change(
            uow, touched, stored, after, reason=None, detail=reason_detail, supplier_id=""
        )

    async def apply_supplier_price(
        self,
        uow: UnitOfWork,
        touched: Touched,
        *,
        supplier_id: str,
        sku: str,
        price: Decimal,
        currency: str,
        detail: str,
    ) -> int:
        """Set the cost of products following `supplier_id` for `sku`; returns how many."""
        changed = 0
        for stored in await Products(uow.session).lock_followers(supplier_id=supplier_id, sku=sku):
            before = stored.product
            if currency and currency != before.currency:
                log.warning(
                    "supplier price in another currency ignored",
                    extra={"sku": sku, "supplier_id": supplier_id, "currency": currency},
                )
                continue
            try:
                after = apply_changes(
                    before,
                    ProductChanges(cost=price.quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)),
                )
            except RuleViolation as exc:
                log.warning("supplier price rejected", extra={"sku": sku, "error": str(exc)})
                continue
            if after is before:
                continue
            await self._store_change(
                uow,
                touched,
                stored,
                after,
                reason="SUPPLIER_COST",
                detail=detail,
                supplier_id=supplier_id,
            )
            changed += 1
        return changed

    async def _store_change(
        self,
        uow: UnitOfWork,
        touched: Touched,
        stored: StoredProduct,
        after: Product,
        *,
        reason: str | None,
        detail: str,
        supplier_id: str,
    ) -> StoredProduct:
        now = self.clock.now()
        before = stored.product
        await Products(uow.session).save(after, now=now)
        result = StoredProduct(after, stored.created_at, now)
        uow.publish(events.product_upserted(result, created=False, at=now))
        touched.skus.add(after.sku)
        cost_moved = before.cost != after.cost
        list_moved = before.list_price != after.list_price
        margin_moved = before.margin_pct != after.margin_pct
        vat_moved = before.vat_category != after.vat_category
        if not (cost_moved or margin_moved or vat_moved or before.category != after.category):
            return result
        promos = await Promotions(uow.session).affecting([before, after], ending_after=now)
        old = await self._effective(before, promos, at=now, now=now)
        new = await self._effective(after, promos, at=now, now=now)
        if reason is None:
            reason = (
                "COST_UPDATED"
                if cost_moved
                else "MARGIN_UPDATED"
                if margin_moved
                else "VAT_CATEGORY"
                if vat_moved
                else "PROMOTION"
            )
        if cost_moved or list_moved or vat_moved or old.unit_net != new.unit_net:
            uow.publish(
                events.price_updated(
                    before=before,
                    after=after,
                    old_effective=old,
                    new_effective=new,
                    reason=reason,
                    detail=detail,
                    supplier_id=supplier_id,
                    at=now,
                )
            )
        if cost_moved or margin_moved or list_moved:
            await PriceHistory(uow.session).add(
                before=before,
                after=after,
                reason=reason,
                reason_detail=detail,
                at=now,
                actor=current_actor(),
            )
        return result

    async def _effective(
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

    async def list_price_history(
        self, sku: str, *, cursor: list[object] | None, limit: int
    ) -> Page[HistoryEntry]:
        before_id = _int_cursor(cursor)
        async with session_scope(self.db) as session:
            if await Products(session).get(sku) is None:
                raise ProductNotFound(f"unknown sku {sku}", details={"sku": sku})
            items = await PriceHistory(session).page(sku, before_id=before_id, limit=limit + 1)
        more = len(items) > limit
        items = items[:limit]
        return Page(items, [items[-1].id] if more else None)

    # -- promotions ------------------------------------------------------------------------
    async def create_promotion(
        self, uow: UnitOfWork, touched: Touched, cmd: NewPromotion
    ) -> Promotion:
        now = self.clock.now()
        promo = new_promotion(
            id=str(uuid.uuid4()),
            name=cmd.name,
            sku=cmd.sku,
            category=cmd.category,
            discount_pct=cmd.discount_pct,
            starts_at=cmd.starts_at,
            ends_at=cmd.ends_at,
            created_at=now,
        )
        if promo.ends_at <= now:
            raise InvalidInput({"ends_at": "must be in the future"})
        products = Products(uow.session)
        if promo.sku is not None and await products.get(promo.sku) is None:
            raise ProductNotFound(f"unknown sku {promo.sku}", details={"sku": promo.sku})
        repo = Promotions(uow.session)
        started = promo.starts_at <= now
        targets: list[Product] = []
        existing: list[Promotion] = []
        if started:
            targets = await products.lock_targets(sku=promo.sku, category=promo.category)
            existing = await repo.affecting(targets, ending_after=now)
        await repo.add(promo, start_emitted_at=now if started else None)
        if started:
            await self._announce(
                uow,
                targets,
                before=existing,
                after=[*existing, promo],
                at_before=now,
                at_after=now,
                detail=f"promotion {promo.id} started",
                now=now,
            )
        touched.all_products = True
        return promo

    async def end_promotion(
        self, uow: UnitOfWork, touched: Touched, promotion_id: str, at: datetime | None
    ) -> Promotion:
        now = self.clock.now()
        repo = Promotions(uow.session)
        promo = await repo.get(promotion_id, lock=True)
        if promo is None:
            raise PromotionNotFound(
                f"unknown promotion {promotion_id}", details={"promotion_id": promotion_id}
            )
        await repo.lock_boundaries(promo.id)  # lock order: boundaries, then products
        ended = end_promotion(promo, now=now, at=at)
        if ended.ends_at > now:
            await repo.save_end(ended, emitted_at=None)  # the scheduler announces the end
        else:
            targets = await Products(uow.session).lock_targets(
                sku=promo.sku, category=promo.category
            )
            existing = await repo.affecting(targets, ending_after=now)
            after = [ended if p.id == promo.id else p for p in existing]
            await repo.save_end(ended, emitted_at=now)
            await self._announce(
                uow,
                targets,
                before=existing,
                after=after,
                at_before=now,
                at_after=now,
                detail=f"promotion {promo.id} ended",
                now=now,
            )
        touched.all_products = True
        return ended

    async def emit_due_promotion_boundaries(self, uow: UnitOfWork, touched: Touched) -> int:
        """Announce promotions that started or ended: claim due boundaries (SKIP LOCKED, so
        replicas share the work), emit price.updated for each sku whose effective price
        moved, and mark the boundaries emitted in the same transaction."""
        now = self.clock.now()
        repo = Promotions(uow.session)
        products = Products(uow.session)
        due = await repo.claim_due(now=now, limit=self.settings.promotion_batch_size)
        promos = {b.promotion_id: await repo.get(b.promotion_id) for b in due}
        locked = await products.lock_targets_of([p for p in promos.values() if p is not None])
        seen: set[tuple[str, datetime]] = set()
        for boundary in due:
            promo = promos[boundary.promotion_id]
            if promo is None:
                continue
            targets = [
                p for p in locked if promo.applies_to(p) and (p.sku, boundary.due_at) not in seen
            ]
            seen.update((p.sku, boundary.due_at) for p in targets)
            just_before = boundary.due_at - MICROSECOND
            existing = await repo.affecting(targets, ending_after=just_before)
            what = "started" if boundary.kind == START else "ended"
            await self._announce(
                uow,
                targets,
                before=existing,
                after=existing,
                at_before=just_before,
                at_after=boundary.due_at,
                detail=f"promotion {promo.id} {what}",
                now=now,
            )
        await repo.mark_emitted([b.id for b in due], at=now)
        if due:
            touched.all_products = True
        return len(due)

    async def next_promotion_boundary(self) -> datetime | None:
        async with session_scope(self.db) as session:
            return await Promotions(session).next_due()

    async def _announce(
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
            old = await self._effective(product, before, at=at_before, now=now)
            new = await self._effective(product, after, at=at_after, now=now)
            if old.unit_net == new.unit_net:
                continue
            version = await products.bump_version(product.sku, now=now)
            uow.publish(
                events.price_updated(
                    before=product,
                    after=replace(product, version=version),
                    old_effective=old,
                    new_effective=new,
                    reason="PROMOTION",
                    detail=detail,
                    at=now,
                )
            )

    async def list_promotions(
        self,
        *,
        cursor: list[object] | None,
        limit: int,
        active_only: bool,
        sku: str,
        category: str,
    ) -> Page[Promotion]:
        now = self.clock.now()
        after: tuple[datetime, str] | None = None
        if cursor is not None:
            try:
                after = (datetime.fromisoformat(str(cursor[0])), str(uuid.UUID(str(cursor[1]))))
            except (ValueError, IndexError):
                raise InvalidInput({"page.cursor": "invalid cursor"}) from None
        async with session_scope(self.db) as session:
            sku_category: str | None = None
            if sku:
                stored = await Products(session).get(sku)
                sku_category = stored.product.category if stored else None
            items = await Promotions(session).page(
                after=after,
                limit=limit + 1,
                active_at=now if active_only else None,
                sku=sku,
                sku_category=sku_category,
                category=category,
            )
        more = len(items) > limit
        items = items[:limit]
        next_key: list[object] | None = (
            [items[-1].starts_at.isoformat(), items[-1].id] if more else None
        )
        return Page(items, next_key)

    # -- customer tiers --------------------------------------------------------------------
    async def get_customer_tier(self, customer_id: str) -> TierView:
        """The live tier: spend summed now (it decays as orders age out of the window)."""
        now = self.clock.now()
        rules = await self.rules()
        async with session_scope(self.db) as session:
            customers = Customers(session)
            stored = await customers.get(customer_id)
            spend = await customers.spend(customer_id, now=now, window=self.window)
        state = stored.state if stored else unseen_customer(customer_id, rules)
        live = replace(state, computed=rules.tier_for_spend(spend).tier, spend=spend)
        return TierView(live, stored.updated_at if stored else None)

    async def set_tier_override(
        self, uow: UnitOfWork, touched: Touched, customer_id: str, tier: Tier | None, reason: str
    ) -> TierView:
        now = self.clock.now()
        rules = await self.rules()
        customers = Customers(uow.session)
        state = await customers.lock(customer_id, base=rules.tiers[0].tier, now=now)
        spend = await customers.spend(customer_id, now=now, window=self.window)
        after = with_override(with_spend(state, spend, rules), tier)
        await self._save_tier(
            uow, touched, state, after, reason=reason or "admin override", now=now
        )
        return TierView(after, now)

    async def recompute_tier(
        self, uow: UnitOfWork, touched: Touched, customer_id: str, *, reason: str
    ) -> CustomerTier:
        now = self.clock.now()
        rules = await self.rules()
        customers = Customers(uow.session)
        state = await customers.lock(customer_id, base=rules.tiers[0].tier, now=now)
        spend = await customers.spend(customer_id, now=now, window=self.window)
        after = with_spend(state, spend, rules)
        await self._save_tier(uow, touched, state, after, reason=reason, now=now)
        return after

    async def _save_tier(
        self,
        uow: UnitOfWork,
        touched: Touched,
        before: CustomerTier,
        after: CustomerTier,
        *,
        reason: str,
        now: datetime,
    ) -> None:
        if after == before:
            return
        await Customers(uow.session).save(after, now=now)
        touched.customers.add(after.customer_id)
        if after.effective != before.effective:
            uow.publish(
                events.customer_tier_changed(
                    before=before, after=after, currency=self.currency, reason=reason, at=now
                )
            )

    async def order_confirmed(
        self,
        uow: UnitOfWork,
        touched: Touched,
        *,
        order_id: str,
        customer_id: str,
        net_total: Decimal,
        currency: str,
        confirmed_at: datetime,
    ) -> None:
        await Customers(uow.session).order_confirmed(
            order_id=order_id,
            customer_id=customer_id,
            net_total=net_total,
            currency=currency or self.currency,
            confirmed_at=confirmed_at,
            now=self.clock.now(),
        )
        await self.recompute_tier(uow, touched, customer_id, reason="spend recomputed")

    async def order_cancelled(
        self,
        uow: UnitOfWork,
        touched: Touched,
        *,
        order_id: str,
        customer_id: str,
        net_total: Decimal,
        currency: str,
    ) -> None:
        await Customers(uow.session).order_cancelled(
            order_id=order_id,
            customer_id=customer_id,
            net_total=net_total,
            currency=currency or self.currency,
            now=self.clock.now(),
        )
        await self.recompute_tier(uow, touched, customer_id, reason="spend recomputed")

    async def sweep_tiers(self, uow: UnitOfWork, touched: Touched) -> int:
        """Re-check customers with spend: orders ageing out of the window lower tiers."""
        states = await Customers(uow.session).lock_all_for_sweep(limit=1000)
        for state in states:
            await self.recompute_tier(uow, touched, state.customer_id, reason="spend aged out")
        return len(states)

    # -- reference data --------------------------------------------------------------------
    async def list_vat_rates(self, category: VatCategory | None, on_date: str) -> list[VatRate]:
        on: date | None = None
        if on_date:
            try:
                on = date.fromisoformat(on_date)
            except ValueError:
                raise InvalidInput({"on_date": "expected YYYY-MM-DD"}) from None
        rules = await self.rules()
        return [
            r
            for r in rules.vat_rates
            if (category is None or r.category == category) and (on is None or r.in_force(on))
        ]


def _int_cursor(cursor: list[object] | None) -> int | None:
    if cursor is None:
        return None
    value = cursor[0]
    if not isinstance(value, int):
        raise InvalidInput({"page.cursor": "invalid cursor"})
    return value
