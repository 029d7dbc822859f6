"""The product aggregate's rows: products and the price history written with them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from pricing.db.tables import PriceHistoryRow, ProductRow
from pricing.domain.price_change import PriceChanged
from pricing.domain.product import Product
from pricing.domain.promotion import Promotion
from pricing.domain.rules import VatCategory


@dataclass(frozen=True, slots=True)
class StoredProduct:
    """A product with its timestamps (which the domain does not need)."""

    product: Product
    created_at: datetime
    updated_at: datetime


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


def stored_from_row(row: ProductRow) -> StoredProduct:
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
        return stored_from_row(row) if row is not None else None

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
        return [stored_from_row(r) for r in (await self.session.execute(stmt)).scalars()]


class PriceHistory:
    """Rows of the price history; they are read by `queries.price_history_page`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, change: PriceChanged, *, actor: str) -> None:
        before, after = change.before, change.after
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
                reason=str(change.reason),
                reason_detail=change.detail,
                version=after.version,
                changed_at=change.at,
                actor=actor,
            )
        )
