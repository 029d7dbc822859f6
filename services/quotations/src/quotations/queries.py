"""Reads for the quotation list: filters and cursor paging, newest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cypher_runtime.paging import CURSOR_FIELD, CursorCodec, page_limit
from quotations.db import quotation_from_row, quotations
from quotations.domain.model import Quotation, Status
from quotations.errors import ValidationFailed

LIST_CURSOR = CursorCodec("quotations.list", (str, str))


@dataclass(frozen=True)
class QuotationFilter:
    status: Status | None = None
    customer_id: uuid.UUID | None = None
    sku: str = ""
    # Only SENT quotations whose validity ends before this instant.
    expiring_before: datetime | None = None


@dataclass(frozen=True)
class QuotationPage:
    items: list[Quotation]
    next_cursor: str


async def list_quotations(
    session: AsyncSession, where: QuotationFilter, *, limit: int, cursor: str
) -> QuotationPage:
    size = page_limit(limit)
    after = LIST_CURSOR.decode(cursor)
    conditions: list[Any] = []
    if where.status is not None:
        conditions.append(quotations.c.status == where.status.value)
    if where.customer_id is not None:
        conditions.append(quotations.c.customer_id == where.customer_id)
    if where.sku:
        # Served by the GIN (jsonb_path_ops) index on lines.
        conditions.append(quotations.c.lines.contains([{"sku": where.sku}]))
    if where.expiring_before is not None:
        conditions.append(quotations.c.status == Status.SENT.value)
        conditions.append(quotations.c.valid_until < where.expiring_before)
    if after is not None:
        try:
            created = datetime.fromisoformat(str(after[0]))
            last_id = uuid.UUID(str(after[1]))
        except ValueError:
            raise ValidationFailed({CURSOR_FIELD: "is not a cursor this list issued"}) from None
        conditions.append(
            or_(
                quotations.c.created_at < created,
                and_(quotations.c.created_at == created, quotations.c.id < last_id),
            )
        )
    stmt = (
        select(quotations)
        .where(*conditions)
        .order_by(quotations.c.created_at.desc(), quotations.c.id.desc())
        .limit(size + 1)
    )
    rows = list((await session.execute(stmt)).mappings())
    items = [quotation_from_row(r) for r in rows[:size]]
    next_cursor = ""
    if items:
        last = items[-1]
        next_cursor = LIST_CURSOR.next_cursor(
            rows, size, (last.created_at.astimezone(UTC).isoformat(), str(last.id))
        )
    return QuotationPage(items=items, next_cursor=next_cursor)
