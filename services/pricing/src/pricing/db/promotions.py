"""The promotion aggregate's rows: promotions and their start/end boundaries, which the
scheduler claims (`FOR UPDATE SKIP LOCKED`) to announce price changes once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from pricing.db.tables import PromotionBoundaryRow, PromotionRow
from pricing.domain.product import Product
from pricing.domain.promotion import Promotion

START = "START"
END = "END"


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

    async def lock_request_key(self, key: str) -> None:
        """Serialise the requests of one idempotency key until this transaction ends:
        the second waits, then finds the first's promotion. Taken before any other lock
        of the transaction (and only ever by same-key requests), so it cannot deadlock."""
        await self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))

    async def by_request_key(self, key: str) -> tuple[Promotion, str] | None:
        """The promotion created under this key and the hash of that request."""
        row = (
            await self.session.execute(
                select(PromotionRow).where(col(PromotionRow.request_key) == key)
            )
        ).scalar_one_or_none()
        return (promotion_from_row(row), row.request_hash or "") if row is not None else None

    async def add(
        self,
        promotion: Promotion,
        *,
        start_emitted_at: datetime | None,
        request_key: str | None = None,
        request_hash: str | None = None,
    ) -> None:
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
                request_key=request_key,
                request_hash=request_hash,
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
