"""Reads for the list and report screens: customers by search, orders by filters (keyset
pages on the one cursor codec), an order's status history, the dashboard's figures.
They never write."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cypher_runtime.errors import ValidationFailed
from cypher_runtime.paging import CURSOR_FIELD, CursorCodec, page_limit
from orders.db.customers import customer_from_row
from orders.db.orders import order_from_row
from orders.db.tables import customers, orders, status_history
from orders.domain.changes import StatusChange
from orders.domain.customer import Customer
from orders.domain.order import Order
from orders.domain.status import OrderStatus

CUSTOMERS_CURSOR = CursorCodec("orders.customers", (str, str))
ORDERS_CURSOR = CursorCodec("orders.orders", (str, str))
LIKE_ESCAPE = "\\"


def like_pattern(search: str) -> str:
    """`%search%` with the search's own LIKE wildcards (`%`, `_`) taken literally."""
    escaped = (
        search.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ValidationFailed({CURSOR_FIELD: "is not a cursor this list issued"}) from None


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({CURSOR_FIELD: "is not a cursor this list issued"}) from None
    if value.tzinfo is None:
        raise ValidationFailed({CURSOR_FIELD: "is not a cursor this list issued"})
    return value


async def list_customers(
    session: AsyncSession, *, search: str, limit: int, cursor: str
) -> tuple[list[Customer], str]:
    """Customers by name (then id), optionally those whose name, email, company or VAT
    code contains `search` (case-insensitive, taken literally)."""
    size = page_limit(limit)
    after = CUSTOMERS_CURSOR.decode(cursor)
    stmt = select(customers)
    if search:
        pattern = like_pattern(search.lower())
        stmt = stmt.where(
            or_(
                func.lower(customers.c.name).like(pattern, escape=LIKE_ESCAPE),
                customers.c.email_lower.like(pattern, escape=LIKE_ESCAPE),
                func.lower(customers.c.company).like(pattern, escape=LIKE_ESCAPE),
                func.lower(customers.c.vat_code).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    if after is not None:
        name, after_id = str(after[0]), _uuid(str(after[1]))
        stmt = stmt.where(
            or_(customers.c.name > name, and_(customers.c.name == name, customers.c.id > after_id))
        )
    stmt = stmt.order_by(customers.c.name, customers.c.id).limit(size + 1)
    rows = (await session.execute(stmt)).mappings().all()
    items = [customer_from_row(r) for r in rows[:size]]
    last = items[-1] if items else None
    key = (last.name, str(last.id)) if last else ("", "")
    return items, CUSTOMERS_CURSOR.next_cursor(rows, size, key)


@dataclass(frozen=True)
class OrderFilter:
    statuses: Sequence[OrderStatus] = ()
    customer_id: uuid.UUID | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


async def list_orders(
    session: AsyncSession, where: OrderFilter, *, limit: int, cursor: str
) -> tuple[list[Order], str]:
    """Visible orders, newest first, keyset-paginated on (created_at, id)."""
    size = page_limit(limit)
    after = ORDERS_CURSOR.decode(cursor)
    stmt = select(orders).where(orders.c.status.is_not(None))
    if where.statuses:
        stmt = stmt.where(orders.c.status.in_([s.value for s in where.statuses]))
    if where.customer_id is not None:
        stmt = stmt.where(orders.c.customer_id == where.customer_id)
    if where.created_from is not None:
        stmt = stmt.where(orders.c.created_at >= where.created_from)
    if where.created_to is not None:
        stmt = stmt.where(orders.c.created_at < where.created_to)
    if after is not None:
        at, after_id = _instant(str(after[0])), _uuid(str(after[1]))
        stmt = stmt.where(
            or_(orders.c.created_at < at, and_(orders.c.created_at == at, orders.c.id < after_id))
        )
    stmt = stmt.order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(size + 1)
    rows = (await session.execute(stmt)).mappings().all()
    items = [order_from_row(r) for r in rows[:size]]
    last = items[-1] if items else None
    key = (last.created_at.isoformat(), str(last.id)) if last else ("", "")
    return items, ORDERS_CURSOR.next_cursor(rows, size, key)


async def order_history(session: AsyncSession, order_id: uuid.UUID) -> list[StatusChange]:
    rows = (
        await session.execute(
            select(status_history)
            .where(status_history.c.order_id == order_id)
            .order_by(status_history.c.changed_at, status_history.c.id)
        )
    ).mappings()
    return [
        StatusChange(
            from_status=OrderStatus(r["from_status"]) if r["from_status"] else None,
            to_status=OrderStatus(r["to_status"]),
            actor=r["actor"],
            reason=r["reason"],
            changed_at=r["changed_at"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class OrderStats:
    """The dashboard's order figures."""

    by_status: dict[OrderStatus, int]
    # Gross total and count of the orders confirmed in the window, cancelled excluded.
    revenue: Decimal
    confirmed: int


async def order_stats(session: AsyncSession, *, start: datetime, end: datetime) -> OrderStats:
    rows = await session.execute(
        select(orders.c.status, func.count())
        .where(orders.c.status.is_not(None))
        .group_by(orders.c.status)
    )
    by_status = {OrderStatus(status): int(count) for status, count in rows}
    revenue, confirmed = (
        await session.execute(
            select(func.coalesce(func.sum(orders.c.gross_total), 0), func.count()).where(
                orders.c.confirmed_at >= start,
                orders.c.confirmed_at < end,
                orders.c.status != OrderStatus.CANCELLED.value,
            )
        )
    ).one()
    return OrderStats(by_status, Decimal(revenue), int(confirmed))
