"""Repositories: the pricing tables read and written as domain objects.

Each repository works inside the caller's session (one unit of work). Rows that a use
case changes are locked (`FOR UPDATE`, in sku order when several) so concurrent changes
of one product serialize in the database, never in Python.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from pricing.domain.customer import CustomerTier
from pricing.domain.product import Product
from pricing.domain.promotion import Promotion
from pricing.domain.rules import (
    RuleSet,
    Tier,
    TierRule,
    VatCategory,
    VatRate,
    VolumeRule,
)
from pricing.tables import (
    CustomerOrderRow,
    CustomerTierRow,
    PriceHistoryRow,
    ProductRow,
    PromotionBoundaryRow,
    PromotionRow,
    TierRuleRow,
    VatRateRow,
    VolumeRuleRow,
)

START = "START"
END = "END"


# -- products -------------------------------------------------------------------------
def product_from_row(row: ProductRow) -> Product:
    return Product(
        sku=row.sku,
        name=row.name,
        category=row.category,
        unit=row.unit,
        cost=row.cost,
        margin_pct=row.margin_pct,
        currency=row.currency,
        vat_category=VatCategory(row.vat_category),
        supplier_id=row.supplier_id,
        follows_supplier_price=row.follows_supplier_price,
        description=row.description,
        active=row.active,
        version=row.version,
    )


@dataclass(frozen=True, slots=True)
class StoredProduct:
    """A product with its timestamps (which the domain does not need)."""

    product: Product
    created_at: datetime
    updated_at: datetime


def _stored(row: ProductRow) -> StoredProduct:
    return StoredProduct(product_from_row(row), row.created_at, row.updated_at)


def _product_values(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "category": product.category,
        "unit": product.unit,
        "cost": product.cost,
        "margin_pct": product.margin_pct,
        "currency": product.currency,
        "vat_category": str(product.vat_category),
        "supplier_id": product.supplier_id,
        "follows_supplier_price": product.follows_supplier_price,
        "description": product.description,
        "active": product.active,
        "version": product.version,
    }


class Products:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, sku: str, *, lock: bool = False) -> StoredProduct | None:
        stmt = select(ProductRow).where(col(ProductRow.sku) == sku)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        return _stored(row) if row is not None else None

    async def add(self, product: Product, *, now: datetime) -> bool:
        """Insert; False when the sku already exists (no exception, no aborted transaction)."""
        stmt = (
            insert(ProductRow)
            .values(sku=product.sku, created_at=now, updated_at=now, **_product_values(product))
            .on_conflict_do_nothing(index_elements=["sku"])
            .returning(col(ProductRow.sku))
        )
        return (await self.session.execute(stmt)).first() is not None

    async def save(self, product: Product, *, now: datetime) -> None:
        await self.session.execute(
            update(ProductRow)
            .where(col(ProductRow.sku) == product.sku)
            .values(updated_at=now, **_product_values(product))
        )

    async def bump_version(self, sku: str, *, now: datetime) -> int:
        """A new price version without other changes (a promotion started or ended)."""
        result = await self.session.execute(
            update(ProductRow)
            .where(col(ProductRow.sku) == sku)
            .values(version=col(ProductRow.version) + 1, updated_at=now)
            .returning(col(ProductRow.version))
        )
        return int(result.scalar_one())

    async def lock_targets(self, *, sku: str | None, category: str | None) -> list[Product]:
        """Active products a promotion targets, locked in sku order (no deadlocks)."""
        stmt = select(ProductRow).where(col(ProductRow.active).is_(True))
        if sku is not None:
            stmt = stmt.where(col(ProductRow.sku) == sku)
        else:
            stmt = stmt.where(col(ProductRow.category) == category)
        stmt = stmt.order_by(col(ProductRow.sku)).with_for_update()
        return [product_from_row(r) for r in (await self.session.execute(stmt)).scalars()]

    async def lock_targets_of(self, promotions: Sequence[Promotion]) -> list[Product]:
        """Active products any of `promotions` targets, all locked at once in sku order, so
        two schedulers working on overlapping promotions cannot deadlock."""
        skus = sorted({p.sku for p in promotions if p.sku is not None})
        categories = sorted({p.category for p in promotions if p.category is not None})
        if not skus and not categories:
            return []
        stmt = (
            select(ProductRow)
            .where(
                col(ProductRow.active).is_(True),
                or_(col(ProductRow.sku).in_(skus), col(ProductRow.category).in_(categories)),
            )
            .order_by(col(ProductRow.sku))
            .with_for_update()
        )
        return [product_from_row(r) for r in (await self.session.execute(stmt)).scalars()]

    async def lock_followers(self, *, supplier_id: str, sku: str) -> list[StoredProduct]:
        stmt = (
            select(ProductRow)
            .where(
                col(ProductRow.sku) == sku,
                col(ProductRow.supplier_id) == supplier_id,
                col(ProductRow.follows_supplier_price).is_(True),
            )
            .with_for_update()
        )
        return [_stored(r) for r in (await self.session.execute(stmt)).scalars()]

    async def page(
        self,
        *,
        after_sku: str | None,
        limit: int,
        category: str,
        search: str,
        supplier_id: str,
        include_inactive: bool,
    ) -> list[StoredProduct]:
        stmt = select(ProductRow)
        if after_sku is not None:
            stmt = stmt.where(col(ProductRow.sku) > after_sku)
        if category:
            stmt = stmt.where(col(ProductRow.category) == category)
        if supplier_id:
            stmt = stmt.where(col(ProductRow.supplier_id) == supplier_id)
        if not include_inactive:
            stmt = stmt.where(col(ProductRow.active).is_(True))
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern += "%"
            stmt = stmt.where(
                or_(col(ProductRow.sku).ilike(pattern), col(ProductRow.name).ilike(pattern))
            )
        stmt = stmt.order_by(col(ProductRow.sku)).limit(limit)
        return [_stored(r) for r in (await self.session.execute(stmt)).scalars()]


# -- price history -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    sku: str
    old_cost: Decimal | None
    new_cost: Decimal
    old_list_price: Decimal | None
    new_list_price: Decimal
    old_margin_pct: Decimal | None
    new_margin_pct: Decimal
    currency: str
    reason: str
    reason_detail: str
    version: int
    changed_at: datetime
    actor: str


class PriceHistory:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        before: Product | None,
        after: Product,
        reason: str,
        reason_detail: str,
        at: datetime,
        actor: str,
    ) -> None:
        self.session.add(
            PriceHistoryRow(
                sku=after.sku,
                old_cost=before.cost if before else None,
                new_cost=after.cost,
                old_list_price=before.list_price if before else None,
                new_list_price=after.list_price,
                old_margin_pct=before.margin_pct if before else None,
                new_margin_pct=after.margin_pct,
                currency=after.currency,
                reason=reason,
                reason_detail=reason_detail,
                version=after.version,
                changed_at=at,
                actor=actor,
            )
        )

    async def page(self, sku: str, *, before_id: int | None, limit: int) -> list[HistoryEntry]:
        stmt = select(PriceHistoryRow).where(col(PriceHistoryRow.sku) == sku)
        if before_id is not None:
            stmt = stmt.where(col(PriceHistoryRow.id) < before_id)
        stmt = stmt.order_by(col(PriceHistoryRow.id).desc()).limit(limit)
        rows = (await self.session.execute(stmt)).scalars()
        return [
            HistoryEntry(
                id=int(r.id or 0),
                sku=r.sku,
                old_cost=r.old_cost,
                new_cost=r.new_cost,
                old_list_price=r.old_list_price,
                new_list_price=r.new_list_price,
                old_margin_pct=r.old_margin_pct,
                new_margin_pct=r.new_margin_pct,
                currency=r.currency,
                reason=r.reason,
                reason_detail=r.reason_detail,
                version=r.version,
                changed_at=r.changed_at,
                actor=r.actor,
            )
            for r in rows
        ]


# -- promotions ----------------------------------------------------------------------------
def promotion_from_row(row: PromotionRow) -> Promotion:
    return Promotion(
        id=str(row.id),
        name=row.name,
        sku=row.sku,
        category=row.category,
        discount_pct=row.discount_pct,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_at=row.created_at,
        ended_at=row.ended_at,
    )


@dataclass(frozen=True, slots=True)
class DueBoundary:
    id: int
    promotion_id: str
    kind: str
    due_at: datetime


class Promotions:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, promotion: Promotion, *, start_emitted_at: datetime | None) -> None:
        promotion_id = uuid.UUID(promotion.id)
        self.session.add(
            PromotionRow(
                id=promotion_id,
                name=promotion.name,
                sku=promotion.sku,
                category=promotion.category,
                discount_pct=promotion.discount_pct,
                starts_at=promotion.starts_at,
                ends_at=promotion.ends_at,
                created_at=promotion.created_at,
                ended_at=promotion.ended_at,
            )
        )
        await self.session.flush()  # the boundaries reference the promotion
        self.session.add_all(
            [
                PromotionBoundaryRow(
                    promotion_id=promotion_id,
                    kind=START,
                    due_at=promotion.starts_at,
                    emitted_at=start_emitted_at,
                ),
                PromotionBoundaryRow(promotion_id=promotion_id, kind=END, due_at=promotion.ends_at),
            ]
        )

    async def get(self, promotion_id: str, *, lock: bool = False) -> Promotion | None:
        try:
            key = uuid.UUID(promotion_id)
        except ValueError:
            return None
        stmt = select(PromotionRow).where(col(PromotionRow.id) == key)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        return promotion_from_row(row) if row is not None else None

    async def save_end(self, promotion: Promotion, *, emitted_at: datetime | None) -> None:
        """Store a new (earlier) end; its boundary moves with it."""
        key = uuid.UUID(promotion.id)
        await self.session.execute(
            update(PromotionRow)
            .where(col(PromotionRow.id) == key)
            .values(ends_at=promotion.ends_at, ended_at=promotion.ended_at)
        )
        await self.session.execute(
            update(PromotionBoundaryRow)
            .where(col(PromotionBoundaryRow.promotion_id) == key)
            .where(col(PromotionBoundaryRow.kind) == END)
            .values(due_at=promotion.ends_at, emitted_at=emitted_at)
        )
        if emitted_at is not None:
            # Ended before or at its start: it never becomes active, nothing to announce.
            await self.session.execute(
                update(PromotionBoundaryRow)
                .where(col(PromotionBoundaryRow.promotion_id) == key)
                .where(col(PromotionBoundaryRow.kind) == START)
                .where(col(PromotionBoundaryRow.emitted_at).is_(None))
                .where(col(PromotionBoundaryRow.due_at) >= promotion.ends_at)
                .values(emitted_at=emitted_at)
            )

    async def affecting(
        self, products: Sequence[Product], *, ending_after: datetime
    ) -> list[Promotion]:
        """Promotions that target any of `products` (by sku or category) and end after."""
        if not products:
            return []
        skus = sorted({p.sku for p in products})
        categories = sorted({p.category for p in products})
        stmt = select(PromotionRow).where(
            col(PromotionRow.ends_at) > ending_after,
            or_(col(PromotionRow.sku).in_(skus), col(PromotionRow.category).in_(categories)),
        )
        return [promotion_from_row(r) for r in (await self.session.execute(stmt)).scalars()]

    async def page(
        self,
        *,
        after: tuple[datetime, str] | None,
        limit: int,
        active_at: datetime | None,
        sku: str,
        sku_category: str | None,
        category: str,
    ) -> list[Promotion]:
        """Newest start first; `after` is the (starts_at, id) of the last row already seen."""
        stmt = select(PromotionRow)
        if after is not None:
            stmt = stmt.where(
                tuple_(col(PromotionRow.starts_at), col(PromotionRow.id))
                < tuple_(after[0], uuid.UUID(after[1]))  # type: ignore[arg-type]
            )
        if active_at is not None:
            stmt = stmt.where(
                col(PromotionRow.starts_at) <= active_at, col(PromotionRow.ends_at) > active_at
            )
        if sku:
            targets = [col(PromotionRow.sku) == sku]
            if sku_category is not None:
                targets.append(col(PromotionRow.category) == sku_category)
            stmt = stmt.where(or_(*targets))
        if category:
            stmt = stmt.where(col(PromotionRow.category) == category)
        stmt = stmt.order_by(col(PromotionRow.starts_at).desc(), col(PromotionRow.id).desc())
        stmt = stmt.limit(limit)
        return [promotion_from_row(r) for r in (await self.session.execute(stmt)).scalars()]

    async def claim_due(self, *, now: datetime, limit: int) -> list[DueBoundary]:
        """Due, unannounced boundaries, locked; another replica skips them (SKIP LOCKED)."""
        stmt = (
            select(PromotionBoundaryRow)
            .where(
                col(PromotionBoundaryRow.emitted_at).is_(None),
                col(PromotionBoundaryRow.due_at) <= now,
            )
            .order_by(col(PromotionBoundaryRow.due_at), col(PromotionBoundaryRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = (await self.session.execute(stmt)).scalars()
        return [DueBoundary(int(r.id or 0), str(r.promotion_id), r.kind, r.due_at) for r in rows]

    async def lock_boundaries(self, promotion_id: str) -> None:
        """Lock a promotion's boundaries before its products: the scheduler's lock order."""
        await self.session.execute(
            select(col(PromotionBoundaryRow.id))
            .where(col(PromotionBoundaryRow.promotion_id) == uuid.UUID(promotion_id))
            .order_by(col(PromotionBoundaryRow.id))
            .with_for_update()
        )

    async def mark_emitted(self, ids: Sequence[int], *, at: datetime) -> None:
        if ids:
            await self.session.execute(
                update(PromotionBoundaryRow)
                .where(col(PromotionBoundaryRow.id).in_(list(ids)))
                .values(emitted_at=at)
            )

    async def next_due(self) -> datetime | None:
        stmt = select(func.min(col(PromotionBoundaryRow.due_at))).where(
            col(PromotionBoundaryRow.emitted_at).is_(None)
        )
        value: datetime | None = (await self.session.execute(stmt)).scalar_one_or_none()
        return value


# -- rules ------------------------------------------------------------------------------------
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


# -- customers ----------------------------------------------------------------------------------
def _tier_from_row(row: CustomerTierRow) -> CustomerTier:
    return CustomerTier(
        customer_id=row.customer_id,
        computed=Tier(row.computed_tier),
        override=Tier(row.override_tier) if row.override_tier else None,
        spend=row.monthly_spend,
        version=row.version,
    )


@dataclass(frozen=True, slots=True)
class StoredTier:
    state: CustomerTier
    updated_at: datetime | None


class Customers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_id: str) -> StoredTier | None:
        row = await self.session.get(CustomerTierRow, customer_id)
        return StoredTier(_tier_from_row(row), row.updated_at) if row is not None else None

    async def lock(self, customer_id: str, *, base: Tier, now: datetime) -> CustomerTier:
        """The customer's tier row, created at the base tier if new, locked for update."""
        await self.session.execute(
            insert(CustomerTierRow)
            .values(
                customer_id=customer_id,
                computed_tier=str(base),
                override_tier=None,
                monthly_spend=Decimal(0),
                version=0,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["customer_id"])
        )
        stmt = (
            select(CustomerTierRow)
            .where(col(CustomerTierRow.customer_id) == customer_id)
            .with_for_update()
        )
        return _tier_from_row((await self.session.execute(stmt)).scalar_one())

    async def save(self, state: CustomerTier, *, now: datetime) -> None:
        await self.session.execute(
            update(CustomerTierRow)
            .where(col(CustomerTierRow.customer_id) == state.customer_id)
            .values(
                computed_tier=str(state.computed),
                override_tier=str(state.override) if state.override else None,
                monthly_spend=state.spend,
                version=state.version,
                updated_at=now,
            )
        )

    async def spend(self, customer_id: str, *, now: datetime, window: timedelta) -> Decimal:
        """Sum of confirmed, not cancelled orders in (now − window, now]."""
        stmt = select(func.coalesce(func.sum(col(CustomerOrderRow.net_total)), 0)).where(
            col(CustomerOrderRow.customer_id) == customer_id,
            col(CustomerOrderRow.cancelled).is_(False),
            col(CustomerOrderRow.confirmed_at) > now - window,
            col(CustomerOrderRow.confirmed_at) <= now,
        )
        return Decimal((await self.session.execute(stmt)).scalar_one())

    # The two upserts below are the SQL form of domain.customer.order_confirmed /
    # order_cancelled: atomic, so a confirm and a cancel handled at the same time by two
    # replicas still merge to "cancelled".
    async def order_confirmed(
        self,
        *,
        order_id: str,
        customer_id: str,
        net_total: Decimal,
        currency: str,
        confirmed_at: datetime,
        now: datetime,
    ) -> None:
        stmt = insert(CustomerOrderRow).values(
            order_id=order_id,
            customer_id=customer_id,
            net_total=net_total,
            currency=currency,
            confirmed_at=confirmed_at,
            cancelled=False,
            updated_at=now,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["order_id"],
                set_={
                    "net_total": stmt.excluded.net_total,
                    "currency": stmt.excluded.currency,
                    "confirmed_at": stmt.excluded.confirmed_at,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
        )

    async def order_cancelled(
        self, *, order_id: str, customer_id: str, net_total: Decimal, currency: str, now: datetime
    ) -> None:
        stmt = insert(CustomerOrderRow).values(
            order_id=order_id,
            customer_id=customer_id,
            net_total=net_total,
            currency=currency,
            confirmed_at=None,
            cancelled=True,
            updated_at=now,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["order_id"],
                set_={"cancelled": True, "updated_at": stmt.excluded.updated_at},
            )
        )

    async def lock_all_for_sweep(self, *, limit: int) -> list[CustomerTier]:
        stmt = (
            select(CustomerTierRow)
            .where(col(CustomerTierRow.monthly_spend) > 0)
            .order_by(col(CustomerTierRow.customer_id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_tier_from_row(r) for r in (await self.session.execute(stmt)).scalars()]


# -- the hot path: every price input in one round trip -------------------------------------------
_PRODUCT_JSON = """json_build_object(
    'sku', p.sku, 'name', p.name, 'category', p.category, 'unit', p.unit,
    'cost', p.cost::text, 'margin_pct', p.margin_pct::text, 'currency', p.currency,
    'vat_category', p.vat_category, 'supplier_id', p.supplier_id,
    'follows_supplier_price', p.follows_supplier_price, 'description', p.description,
    'active', p.active, 'version', p.version)"""

_PROMOTION_JSON = """json_build_object(
    'id', pr.id::text, 'name', pr.name, 'sku', pr.sku, 'category', pr.category,
    'discount_pct', pr.discount_pct::text, 'starts_at', pr.starts_at, 'ends_at', pr.ends_at,
    'created_at', pr.created_at, 'ended_at', pr.ended_at)"""

_RULES_SQL = """
    (SELECT json_agg(json_build_object('tier', tier, 'min_spend', min_spend::text,
        'discount_pct', discount_pct::text)) FROM tier_rules) AS tier_rules,
    (SELECT json_agg(json_build_object('min_quantity', min_quantity,
        'discount_pct', discount_pct::text)) FROM volume_rules) AS volume_rules,
    (SELECT json_agg(json_build_object('vat_category', vat_category, 'rate_pct', rate_pct::text,
        'valid_from', valid_from, 'valid_to', valid_to)) FROM vat_rates) AS vat_rates"""


@dataclass(frozen=True, slots=True)
class PriceInputs:
    products: dict[str, Product]
    # Per sku: promotions targeting it (by sku or category) that end after the instant used.
    promotions: dict[str, tuple[Promotion, ...]]
    override: Tier | None
    spend: Decimal | None
    rules: RuleSet | None


def _json(value: Any) -> Any:
    """asyncpg (through SQLAlchemy's codec) decodes json already; raw drivers give text."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str | bytes) else value


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _product_from_json(d: dict[str, Any]) -> Product:
    return Product(
        sku=d["sku"],
        name=d["name"],
        category=d["category"],
        unit=d["unit"],
        cost=Decimal(d["cost"]),
        margin_pct=Decimal(d["margin_pct"]),
        currency=d["currency"],
        vat_category=VatCategory(d["vat_category"]),
        supplier_id=d["supplier_id"],
        follows_supplier_price=d["follows_supplier_price"],
        description=d["description"],
        active=d["active"],
        version=int(d["version"]),
    )


def _promotion_from_json(d: dict[str, Any]) -> Promotion:
    starts_at = _ts(d["starts_at"])
    ends_at = _ts(d["ends_at"])
    created_at = _ts(d["created_at"])
    assert starts_at is not None
    assert ends_at is not None
    assert created_at is not None
    return Promotion(
        id=d["id"],
        name=d["name"],
        sku=d["sku"],
        category=d["category"],
        discount_pct=Decimal(d["discount_pct"]),
        starts_at=starts_at,
        ends_at=ends_at,
        created_at=created_at,
        ended_at=_ts(d["ended_at"]),
    )


def _rules_from_json(tiers: Any, volumes: Any, rates: Any) -> RuleSet:
    return RuleSet.of(
        [
            TierRule(Tier(t["tier"]), Decimal(t["min_spend"]), Decimal(t["discount_pct"]))
            for t in _json(tiers)
        ],
        [VolumeRule(int(v["min_quantity"]), Decimal(v["discount_pct"])) for v in _json(volumes)],
        [
            VatRate(
                VatCategory(r["vat_category"]),
                Decimal(r["rate_pct"]),
                date.fromisoformat(r["valid_from"]),
                date.fromisoformat(r["valid_to"]) if r["valid_to"] else None,
            )
            for r in _json(rates)
        ],
    )


async def load_price_inputs(
    session: AsyncSession,
    *,
    skus: Sequence[str],
    promotions_ending_after: datetime,
    customer_id: str | None,
    spend_at: datetime,
    spend_window: timedelta,
    with_rules: bool,
) -> PriceInputs:
    """Products, their promotions, the customer's override and rolling spend, and (when
    asked) the rules — in ONE statement, so a 50-line quote costs one round trip.

    Numbers travel as JSON text (`::text`) so they arrive as exact Decimals."""
    parts = [
        f"""(SELECT coalesce(json_agg({_PRODUCT_JSON}), '[]'::json)
             FROM products p WHERE p.sku = ANY(:skus)) AS products""",
        f"""(SELECT coalesce(json_agg({_PROMOTION_JSON}), '[]'::json)
             FROM promotions pr
             WHERE pr.ends_at > :promo_after
               AND (pr.sku = ANY(:skus)
                    OR pr.category IN (SELECT category FROM products WHERE sku = ANY(:skus)))
           ) AS promotions""",
    ]
    params: dict[str, Any] = {"skus": list(skus), "promo_after": promotions_ending_after}
    if customer_id is not None:
        parts.append(
            "(SELECT override_tier FROM customer_tiers WHERE customer_id = :cid) AS override"
        )
        parts.append(
            """(SELECT coalesce(sum(net_total), 0)::text FROM customer_orders
                WHERE customer_id = :cid AND NOT cancelled
                  AND confirmed_at > :spend_from AND confirmed_at <= :spend_at) AS spend"""
        )
        params.update(cid=customer_id, spend_from=spend_at - spend_window, spend_at=spend_at)
    if with_rules:
        parts.append(_RULES_SQL)
    row = (await session.execute(text("SELECT " + ",\n".join(parts)), params)).mappings().one()

    products = {p.sku: p for p in map(_product_from_json, _json(row["products"]))}
    promos = [_promotion_from_json(d) for d in _json(row["promotions"])]
    by_sku: dict[str, tuple[Promotion, ...]] = {}
    for sku, product in products.items():
        by_sku[sku] = tuple(
            p for p in promos if p.sku == sku or (p.sku is None and p.category == product.category)
        )
    override: Tier | None = None
    spend: Decimal | None = None
    if customer_id is not None:
        override = Tier(row["override"]) if row["override"] else None
        spend = Decimal(row["spend"])
    rules = (
        _rules_from_json(row["tier_rules"], row["volume_rules"], row["vat_rates"])
        if with_rules
        else None
    )
    return PriceInputs(products, by_sku, override, spend, rules)
