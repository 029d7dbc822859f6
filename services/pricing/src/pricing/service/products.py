"""Use cases of the product aggregate: create, edit, follow a supplier's price, read."""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal

from cypher_runtime.context import current_actor
from cypher_runtime.db import UnitOfWork, session_scope
from pricing import events
from pricing.db.products import PriceHistory, Products, StoredProduct
from pricing.db.promotions import Promotions
from pricing.domain.price_change import (
    PriceChanged,
    PriceChangeReason,
    ProductSaved,
    reason_of,
    reprices,
)
from pricing.domain.product import Product, ProductChanges, apply_changes, validated
from pricing.errors import (
    DuplicateSku,
    ProductNotFound,
    ValidationFailed,
    VersionConflict,
)
from pricing.queries import HistoryEntry, Page, price_history_page, products_page
from pricing.service.prices import PriceBook

log = logging.getLogger(__name__)

COST_QUANTUM = Decimal("0.0001")


def _not_found(sku: str) -> ProductNotFound:
    return ProductNotFound(f"unknown sku {sku}", details={"sku": sku})


class ProductService:
    def __init__(self, book: PriceBook) -> None:
        self.book = book

    async def get(self, sku: str) -> StoredProduct:
        async with session_scope(self.book.db) as session:
            stored = await Products(session).get(sku)
        if stored is None:
            raise _not_found(sku)
        return stored

    async def page(
        self,
        *,
        cursor: str,
        limit: int,
        category: str,
        search: str,
        supplier_id: str,
        include_inactive: bool,
    ) -> Page[StoredProduct]:
        async with session_scope(self.book.db) as session:
            return await products_page(
                session,
                cursor=cursor,
                limit=limit,
                category=category,
                search=search,
                supplier_id=supplier_id,
                include_inactive=include_inactive,
            )

    async def price_history(self, sku: str, *, cursor: str, limit: int) -> Page[HistoryEntry]:
        async with session_scope(self.book.db) as session:
            if await Products(session).get(sku) is None:
                raise _not_found(sku)
            return await price_history_page(session, sku, cursor=cursor, limit=limit)

    async def create(self, uow: UnitOfWork, product: Product) -> StoredProduct:
        """A new product at version 1: product.upserted, price.updated (CREATED) and the
        first row of its price history."""
        book = self.book
        now = book.clock.now()
        product = validated(product)
        if not await Products(uow.session).add(product, now=now):
            raise DuplicateSku(f"sku {product.sku} already exists", details={"sku": product.sku})
        promos = await Promotions(uow.session).affecting([product], ending_after=now)
        change = PriceChanged(
            before=None,
            after=product,
            old=None,
            new=await book.effective(product, promos, at=now, now=now),
            reason=PriceChangeReason.CREATED,
            detail="",
            at=now,
        )
        PriceHistory(uow.session).add(change, actor=current_actor())
        uow.publish(*events.published(ProductSaved(product, True, now, now), change))
        book.touched(uow).skus.add(product.sku)
        return StoredProduct(product, now, now)

    async def update(
        self,
        uow: UnitOfWork,
        sku: str,
        changes: ProductChanges,
        *,
        expected_version: int = 0,
        reason_detail: str = "",
        currency: str = "",
    ) -> StoredProduct:
        """Edit a product; `expected_version` (0 = any) guards against lost updates and a
        cost must be in the product's currency."""
        stored = await Products(uow.session).get(sku, lock=True)
        if stored is None:
            raise _not_found(sku)
        before = stored.product
        if expected_version and expected_version != before.version:
            raise VersionConflict(
                f"product {sku} is at version {before.version}, not {expected_version}",
                details={"sku": sku, "expected": expected_version, "actual": before.version},
            )
        if currency and currency != before.currency:
            raise ValidationFailed(
                {"cost.currency": f"must be the product currency {before.currency}"}
            )
        after = apply_changes(before, changes)
        if after is before:
            return stored
        return await self._save(uow, stored, after, reason=None, detail=reason_detail)

    async def apply_supplier_price(
        self,
        uow: UnitOfWork,
        *,
        supplier_id: str,
        sku: str,
        price: Decimal,
        currency: str,
        detail: str,
    ) -> int:
        """Set the cost of products following `supplier_id` for `sku`; returns how many."""
        changed = 0
        cost = price.quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)
        for stored in await Products(uow.session).lock_followers(supplier_id=supplier_id, sku=sku):
            before = stored.product
            if currency and currency != before.currency:
                log.warning(
                    "supplier price in another currency ignored",
                    extra={"sku": sku, "supplier_id": supplier_id, "currency": currency},
                )
                continue
            try:
                after = apply_changes(before, ProductChanges(cost=cost))
            except ValidationFailed as exc:
                log.warning("supplier price rejected", extra={"sku": sku, "error": str(exc)})
                continue
            if after is before:
                continue
            await self._save(
                uow,
                stored,
                after,
                reason=PriceChangeReason.SUPPLIER_COST,
                detail=detail,
                supplier_id=supplier_id,
            )
            changed += 1
        return changed

    async def _save(
        self,
        uow: UnitOfWork,
        stored: StoredProduct,
        after: Product,
        *,
        reason: PriceChangeReason | None,
        detail: str,
        supplier_id: str = "",
    ) -> StoredProduct:
        """Store a changed product and publish what the change means for its price."""
        book = self.book
        now = book.clock.now()
        before = stored.product
        await Products(uow.session).save(after, now=now)
        book.touched(uow).skus.add(after.sku)
        saved = ProductSaved(after, False, stored.created_at, now)
        if not reprices(before, after):
            uow.publish(*events.published(saved))
            return StoredProduct(after, stored.created_at, now)
        promos = await Promotions(uow.session).affecting([before, after], ending_after=now)
        change = PriceChanged(
            before=before,
            after=after,
            old=await book.effective(before, promos, at=now, now=now),
            new=await book.effective(after, promos, at=now, now=now),
            reason=reason or reason_of(before, after),
            detail=detail,
            at=now,
            supplier_id=supplier_id,
        )
        if change.in_history:
            PriceHistory(uow.session).add(change, actor=current_actor())
        uow.publish(*events.published(saved, change))
        return StoredProduct(after, stored.created_at, now)
