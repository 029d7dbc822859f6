"""Use cases of the promotion aggregate: create, end, list, and the scheduler's step that
announces promotions starting or ending."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from cypher_runtime.db import UnitOfWork, session_scope
from pricing.db.products import Products
from pricing.db.promotions import START, Promotions
from pricing.domain.product import Product
from pricing.domain.promotion import NewPromotion, Promotion, end_promotion, new_promotion
from pricing.errors import (
    IdempotencyKeyReused,
    ProductNotFound,
    PromotionNotFound,
    ValidationFailed,
)
from pricing.queries import Page, promotions_page
from pricing.service.prices import PriceBook

MICROSECOND = timedelta(microseconds=1)


class PromotionService:
    def __init__(self, book: PriceBook) -> None:
        self.book = book

    async def create(self, uow: UnitOfWork, cmd: NewPromotion) -> Promotion:
        """A promotion already running is announced at once (price.updated per product
        whose effective price moves); a future one by the scheduler at its start."""
        book = self.book
        now = book.clock.now()
        key = cmd.idempotency_key
        if key:
            # A repeat (a retry, the gateway re-running after its lease) finds the first.
            repo = Promotions(uow.session)
            await repo.lock_request_key(key)
            earlier = await repo.by_request_key(key)
            if earlier is not None:
                first, request_hash = earlier
                if request_hash != cmd.fingerprint():
                    raise IdempotencyKeyReused(
                        "this idempotency key was used with a different request",
                        details={"idempotency_key": key},
                    )
                return first
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
            raise ValidationFailed({"ends_at": "must be in the future"})
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
        await repo.add(
            promo,
            start_emitted_at=now if started else None,
            request_key=key or None,
            request_hash=cmd.fingerprint() if key else None,
        )
        if started:
            await book.announce_promotion_change(
                uow,
                targets,
                before=existing,
                after=[*existing, promo],
                at_before=now,
                at_after=now,
                detail=f"promotion {promo.id} started",
                now=now,
            )
        # Cached products carry the promotions that have not ended yet, future ones too.
        book.touched(uow).all_products = True
        return promo

    async def end(self, uow: UnitOfWork, promotion_id: str, at: datetime | None) -> Promotion:
        """End now (or at a later `at`); an end in the future is announced by the scheduler."""
        book = self.book
        now = book.clock.now()
        repo = Promotions(uow.session)
        promo = await repo.get(promotion_id, lock=True)
        if promo is None:
            raise PromotionNotFound(
                f"unknown promotion {promotion_id}", details={"promotion_id": promotion_id}
            )
        await repo.lock_boundaries(promo.id)  # lock order: boundaries, then products
        ended = end_promotion(promo, now=now, at=at)
        if ended.ends_at > now:
            await repo.save_end(ended, emitted_at=None)
        else:
            targets = await Products(uow.session).lock_targets(
                sku=promo.sku, category=promo.category
            )
            existing = await repo.affecting(targets, ending_after=now)
            after = [ended if p.id == promo.id else p for p in existing]
            await repo.save_end(ended, emitted_at=now)
            await book.announce_promotion_change(
                uow,
                targets,
                before=existing,
                after=after,
                at_before=now,
                at_after=now,
                detail=f"promotion {promo.id} ended",
                now=now,
            )
        book.touched(uow).all_products = True
        return ended

    async def emit_due_boundaries(self, uow: UnitOfWork) -> int:
        """Announce promotions that started or ended: claim due boundaries (SKIP LOCKED, so
        replicas share the work), emit price.updated for each sku whose effective price
        moved, and mark the boundaries emitted in the same transaction."""
        book = self.book
        now = book.clock.now()
        repo = Promotions(uow.session)
        due = await repo.claim_due(now=now, limit=book.settings.promotion_batch_size)
        promos = {b.promotion_id: await repo.get(b.promotion_id) for b in due}
        locked = await Products(uow.session).lock_targets_of(
            [p for p in promos.values() if p is not None]
        )
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
            await book.announce_promotion_change(
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
            book.touched(uow).all_products = True
        return len(due)

    async def page(
        self, *, cursor: str, limit: int, active_only: bool, sku: str, category: str
    ) -> Page[Promotion]:
        now = self.book.clock.now()
        async with session_scope(self.book.db) as session:
            return await promotions_page(
                session,
                cursor=cursor,
                limit=limit,
                active_at=now if active_only else None,
                sku=sku,
                category=category,
            )
