"""Reads for the list screens: paged with `cypher_runtime.paging` (a cursor this service
did not issue is a 400), newest or cheapest first as each list promises."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from cypher_runtime.paging import CursorCodec, page_limit
from suppliers.db.orders import line_of, order_of
from suppliers.db.products import HistoryPoint, alert_of, offers_for, product_of
from suppliers.db.runs import run_of
from suppliers.db.suppliers import supplier_of
from suppliers.db.tables import price_alerts as a
from suppliers.db.tables import price_history as h
from suppliers.db.tables import supplier_order_lines as ln
from suppliers.db.tables import supplier_orders as o
from suppliers.db.tables import supplier_products as p
from suppliers.db.tables import suppliers as s
from suppliers.db.tables import sync_runs as r
from suppliers.domain.offers import Offer, cheapest_first
from suppliers.domain.orders import OrderLine, OrderStatus, SupplierOrder
from suppliers.domain.products import PriceAlert, SupplierProduct
from suppliers.domain.supplier import Supplier
from suppliers.domain.sync import SyncRun
from suppliers.errors import SupplierNotFound, SupplierProductNotFound

T = TypeVar("T")

SUPPLIERS = CursorCodec("suppliers.list", (str, str))
RUNS = CursorCodec("suppliers.sync_runs", (str, str))
PRODUCTS = CursorCodec("suppliers.products", (str,))
ALERTS = CursorCodec("suppliers.price_alerts", (str, str))
OFFERS = CursorCodec("suppliers.offers", (int,))
ORDERS = CursorCodec("suppliers.orders", (str, str))
HISTORY = CursorCodec("suppliers.price_history", (int,))


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str


def _page(
    rows: Sequence[T], limit: int, codec: CursorCodec, key: Callable[[T], Sequence[str | int]]
) -> Page[T]:
    kept = list(rows[:limit])
    cursor = codec.next_cursor(rows, limit, key(kept[-1])) if kept else ""
    return Page(kept, cursor)


def _when(value: str | int) -> sa.BindParameter[datetime]:
    return sa.bindparam(None, datetime.fromisoformat(str(value)), type_=sa.DateTime(timezone=True))


def _text(value: str | int) -> sa.BindParameter[str]:
    return sa.bindparam(None, str(value), type_=sa.String())


async def _require_supplier(session: AsyncSession, supplier_id: str) -> None:
    found = (await session.execute(sa.select(s.c.id).where(s.c.id == supplier_id))).first()
    if found is None:
        raise SupplierNotFound(f"no supplier {supplier_id}", details={"id": supplier_id})


async def list_suppliers(
    session: AsyncSession, *, active_only: bool, limit: int, cursor: str
) -> Page[Supplier]:
    limit = page_limit(limit)
    stmt = sa.select(s).order_by(s.c.name, s.c.id).limit(limit + 1)
    if active_only:
        stmt = stmt.where(s.c.active)
    after = SUPPLIERS.decode(cursor)
    if after:
        stmt = stmt.where(sa.tuple_(s.c.name, s.c.id) > sa.tuple_(_text(after[0]), _text(after[1])))
    rows = [supplier_of(x) for x in await session.execute(stmt)]
    return _page(rows, limit, SUPPLIERS, lambda x: (x.name, x.id))


async def list_sync_runs(
    session: AsyncSession, supplier_id: str, *, limit: int, cursor: str
) -> Page[SyncRun]:
    limit = page_limit(limit)
    await _require_supplier(session, supplier_id)
    stmt = (
        sa.select(r)
        .where(r.c.supplier_id == supplier_id)
        .order_by(r.c.started_at.desc(), r.c.id.desc())
        .limit(limit + 1)
    )
    after = RUNS.decode(cursor)
    if after:
        stmt = stmt.where(
            sa.tuple_(r.c.started_at, r.c.id) < sa.tuple_(_when(after[0]), _text(after[1]))
        )
    rows = [run_of(x) for x in await session.execute(stmt)]
    return _page(rows, limit, RUNS, lambda x: (x.started_at.isoformat(), x.id))


async def list_supplier_products(
    session: AsyncSession,
    supplier_id: str,
    *,
    unmapped_only: bool,
    search: str,
    limit: int,
    cursor: str,
) -> Page[SupplierProduct]:
    limit = page_limit(limit)
    await _require_supplier(session, supplier_id)
    stmt = (
        sa.select(p)
        .where(p.c.supplier_id == supplier_id)
        .order_by(p.c.supplier_sku)
        .limit(limit + 1)
    )
    if unmapped_only:
        stmt = stmt.where(p.c.sku.is_(None))
    if search.strip():
        needle = (
            "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        stmt = stmt.where(sa.or_(p.c.supplier_sku.ilike(needle), p.c.name.ilike(needle)))
    after = PRODUCTS.decode(cursor)
    if after:
        stmt = stmt.where(p.c.supplier_sku > str(after[0]))
    rows = [product_of(x) for x in await session.execute(stmt)]
    return _page(rows, limit, PRODUCTS, lambda x: (x.supplier_sku,))


async def list_price_alerts(
    session: AsyncSession,
    *,
    supplier_id: str,
    open_only: bool,
    sku: str,
    limit: int,
    cursor: str,
) -> Page[PriceAlert]:
    limit = page_limit(limit)
    stmt = sa.select(a).order_by(a.c.created_at.desc(), a.c.id.desc()).limit(limit + 1)
    if supplier_id:
        stmt = stmt.where(a.c.supplier_id == supplier_id)
    if open_only:
        stmt = stmt.where(a.c.status == "OPEN")
    if sku:
        stmt = stmt.where(a.c.sku == sku)
    after = ALERTS.decode(cursor)
    if after:
        stmt = stmt.where(
            sa.tuple_(a.c.created_at, a.c.id) < sa.tuple_(_when(after[0]), _text(after[1]))
        )
    rows = [alert_of(x) for x in await session.execute(stmt)]
    return _page(rows, limit, ALERTS, lambda x: (x.created_at.isoformat(), x.id))


async def list_offers(
    session: AsyncSession, sku: str, rates: Mapping[str, Decimal], *, limit: int, cursor: str
) -> Page[Offer]:
    limit = page_limit(limit)
    after = OFFERS.decode(cursor)
    start = int(after[0]) if after else 0
    ranked = cheapest_first(await offers_for(session, sku), rates)
    window = ranked[start : start + limit + 1]
    kept = window[:limit]
    return Page(kept, OFFERS.next_cursor(window, limit, (start + limit,)) if kept else "")


async def list_supplier_orders(
    session: AsyncSession,
    *,
    status: OrderStatus | None,
    supplier_id: str,
    order_id: str,
    sku: str,
    limit: int,
    cursor: str,
) -> Page[SupplierOrder]:
    limit = page_limit(limit)
    stmt = sa.select(o).order_by(o.c.created_at.desc(), o.c.id.desc()).limit(limit + 1)
    if status is not None:
        stmt = stmt.where(o.c.status == status.value)
    if supplier_id:
        stmt = stmt.where(o.c.supplier_id == supplier_id)
    if order_id:
        stmt = stmt.where(o.c.order_id == order_id)
    if sku:
        stmt = stmt.where(sa.exists().where(ln.c.supplier_order_id == o.c.id, ln.c.sku == sku))
    after = ORDERS.decode(cursor)
    if after:
        stmt = stmt.where(
            sa.tuple_(o.c.created_at, o.c.id) < sa.tuple_(_when(after[0]), _text(after[1]))
        )
    rows = list(await session.execute(stmt))
    lines: dict[str, list[OrderLine]] = {x.id: [] for x in rows}
    if rows:
        for x in await session.execute(
            sa.select(ln).where(ln.c.supplier_order_id.in_(list(lines))).order_by(ln.c.line_no)
        ):
            lines[x.supplier_order_id].append(line_of(x))
    orders = [order_of(x, lines[x.id]) for x in rows]
    return _page(orders, limit, ORDERS, lambda x: (x.created_at.isoformat(), x.id))


async def price_history(
    session: AsyncSession, supplier_id: str, supplier_sku: str, *, limit: int, cursor: str
) -> Page[HistoryPoint]:
    limit = page_limit(limit)
    product = (
        await session.execute(
            sa.select(p.c.id).where(
                p.c.supplier_id == supplier_id, p.c.supplier_sku == supplier_sku
            )
        )
    ).first()
    if product is None:
        raise SupplierProductNotFound(
            f"supplier {supplier_id} never listed {supplier_sku!r}",
            details={"supplier_id": supplier_id, "supplier_sku": supplier_sku},
        )
    stmt = (
        sa.select(h)
        .where(h.c.supplier_product_id == product.id)
        .order_by(h.c.id.desc())
        .limit(limit + 1)
    )
    after = HISTORY.decode(cursor)
    if after:
        stmt = stmt.where(h.c.id < int(after[0]))
    rows: list[Any] = list(await session.execute(stmt))
    points = [
        (
            x.id,
            HistoryPoint(
                product_id=x.supplier_product_id,
                price=x.price,
                currency=x.currency,
                in_stock=x.in_stock,
                stock_quantity=x.stock_quantity,
                change_pct=x.change_pct,
                sync_run_id=x.sync_run_id,
                observed_at=x.observed_at,
            ),
        )
        for x in rows
    ]
    page = _page(points, limit, HISTORY, lambda x: (x[0],))
    return Page([pt for _, pt in page.items], page.next_cursor)
