"""Reads of the list screens: products, a product's price history, promotions. Each
list pages with its own `CursorCodec`, so a cursor it did not issue (garbage, another
list's, another product's history) is a 400 naming `page.cursor`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from cypher_runtime.paging import CursorCodec
from pricing.db.products import StoredProduct, stored_from_row
from pricing.db.promotions import promotion_from_row
from pricing.db.tables import PriceHistoryRow, ProductRow, PromotionRow
from pricing.domain.promotion import Promotion
from pricing.errors import ValidationFailed

PRODUCTS = CursorCodec("pricing.products", (str,))
PROMOTIONS = CursorCodec("pricing.promotions", (str, str))

Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Page(Generic[Item]):
    items: list[Item]
    next_cursor: str


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


def history_cursors(sku: str) -> CursorCodec:
    """A product's history pages by row id; the scope names the sku, so a cursor of
    one product's history is refused by another's."""
    return CursorCodec(f"pricing.price_history:{sku}", (int,))


def _like(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def products_page(
    session: AsyncSession,
    *,
    cursor: str,
    limit: int,
    category: str,
    search: str,
    supplier_id: str,
    include_inactive: bool,
) -> Page[StoredProduct]:
    """Products in sku order, filtered; `search` matches sku or name as a substring."""
    after = PRODUCTS.decode(cursor)
    stmt = select(ProductRow)
    if after is not None:
        stmt = stmt.where(col(ProductRow.sku) > str(after[0]))
    if category:
        stmt = stmt.where(col(ProductRow.category) == category)
    if supplier_id:
        stmt = stmt.where(col(ProductRow.supplier_id) == supplier_id)
    if not include_inactive:
        stmt = stmt.where(col(ProductRow.active).is_(True))
    if search:
        pattern = _like(search)
        stmt = stmt.where(
            or_(col(ProductRow.sku).ilike(pattern), col(ProductRow.name).ilike(pattern))
        )
    stmt = stmt.order_by(col(ProductRow.sku)).limit(limit + 1)
    rows = [stored_from_row(r) for r in (await session.execute(stmt)).scalars()]
    items = rows[:limit]
    key = [items[-1].product.sku] if items else []
    return Page(items, PRODUCTS.next_cursor(rows, limit, key))


async def price_history_page(
    session: AsyncSession, sku: str, *, cursor: str, limit: int
) -> Page[HistoryEntry]:
    """A product's price changes, newest first."""
    codec = history_cursors(sku)
    before = codec.decode(cursor)
    stmt = select(PriceHistoryRow).where(col(PriceHistoryRow.sku) == sku)
    if before is not None:
        stmt = stmt.where(col(PriceHistoryRow.id) < int(before[0]))
    stmt = stmt.order_by(col(PriceHistoryRow.id).desc()).limit(limit + 1)
    rows = [
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
        for r in (await session.execute(stmt)).scalars()
    ]
    items = rows[:limit]
    key = [items[-1].id] if items else []
    return Page(items, codec.next_cursor(rows, limit, key))


def _promotion_key(cursor: str) -> tuple[datetime, uuid.UUID] | None:
    key = PROMOTIONS.decode(cursor)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(str(key[0])), uuid.UUID(str(key[1]))
    except ValueError:
        raise ValidationFailed({"page.cursor": "is not a cursor this list issued"}) from None


async def promotions_page(
    session: AsyncSession,
    *,
    cursor: str,
    limit: int,
    active_at: datetime | None,
    sku: str,
    category: str,
) -> Page[Promotion]:
    """Newest start first. `sku` selects the promotions that apply to that product: its
    own and its category's."""
    after = _promotion_key(cursor)
    stmt = select(PromotionRow)
    if after is not None:
        stmt = stmt.where(
            tuple_(col(PromotionRow.starts_at), col(PromotionRow.id)) < tuple_(after[0], after[1])  # type: ignore[arg-type]
        )
    if active_at is not None:
        stmt = stmt.where(
            col(PromotionRow.starts_at) <= active_at, col(PromotionRow.ends_at) > active_at
        )
    if sku:
        targets = [col(PromotionRow.sku) == sku]
        sku_category = (
            await session.execute(
                select(col(ProductRow.category)).where(col(ProductRow.sku) == sku)
            )
        ).scalar_one_or_none()
        if sku_category is not None:
            targets.append(col(PromotionRow.category) == sku_category)
        stmt = stmt.where(or_(*targets))
    if category:
        stmt = stmt.where(col(PromotionRow.category) == category)
    stmt = stmt.order_by(col(PromotionRow.starts_at).desc(), col(PromotionRow.id).desc())
    rows = [promotion_from_row(r) for r in (await session.execute(stmt.limit(limit + 1))).scalars()]
    items = rows[:limit]
    key = [items[-1].starts_at.isoformat(), items[-1].id] if items else []
    return Page(items, PROMOTIONS.next_cursor(rows, limit, key))
