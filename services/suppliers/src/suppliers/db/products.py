"""Repositories of supplier products (with their price history) and price alerts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from cypher_runtime.db import UnitOfWork
from suppliers.db.tables import price_alerts as a
from suppliers.db.tables import price_history as h
from suppliers.db.tables import supplier_products as t
from suppliers.db.tables import suppliers as s
from suppliers.domain.offers import Offer
from suppliers.domain.products import AlertStatus, PriceAlert, SupplierProduct
from suppliers.errors import PriceAlertNotFound, SupplierProductNotFound

LOOKUP_CHUNK = 5000


def product_of(row: sa.Row[Any]) -> SupplierProduct:
    m = row._mapping
    return SupplierProduct(
        id=m["id"],
        supplier_id=m["supplier_id"],
        supplier_sku=m["supplier_sku"],
        name=m["name"],
        price=m["price"],
        currency=m["currency"],
        sku=m["sku"],
        in_stock=m["in_stock"],
        stock_quantity=m["stock_quantity"],
        url=m["url"],
        last_seen_at=m["last_seen_at"],
        price_changed_at=m["price_changed_at"],
        version=m["version"],
        created_at=m["created_at"],
    )


def _row(p: SupplierProduct) -> dict[str, Any]:
    return {
        "id": p.id,
        "supplier_id": p.supplier_id,
        "supplier_sku": p.supplier_sku,
        "name": p.name,
        "price": p.price,
        "currency": p.currency,
        "sku": p.sku,
        "in_stock": p.in_stock,
        "stock_quantity": p.stock_quantity,
        "url": p.url,
        "last_seen_at": p.last_seen_at,
        "price_changed_at": p.price_changed_at,
        "version": p.version,
        "created_at": p.created_at,
    }


@dataclass(frozen=True)
class HistoryPoint:
    product_id: str
    price: Decimal
    currency: str
    in_stock: bool
    stock_quantity: int | None
    change_pct: Decimal | None
    sync_run_id: str | None
    observed_at: datetime


async def offers_for(session: AsyncSession, sku: str) -> list[Offer]:
    """Every active supplier's mapped offer for `sku` (unranked)."""
    rows = await session.execute(
        sa.select(t, s.c.name.label("supplier_name"))
        .join(s, s.c.id == t.c.supplier_id)
        .where(t.c.sku == sku, s.c.active)
    )
    return [
        Offer(
            supplier_id=x.supplier_id,
            supplier_name=x.supplier_name,
            supplier_sku=x.supplier_sku,
            sku=x.sku,
            price=x.price,
            currency=x.currency,
            in_stock=x.in_stock,
            stock_quantity=x.stock_quantity,
            updated_at=x.last_seen_at,
        )
        for x in rows
    ]


class SupplierProducts:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def by_supplier_skus(
        self, supplier_id: str, supplier_skus: Sequence[str]
    ) -> dict[str, SupplierProduct]:
        """The stored products among these codes, locked: a concurrent mapping waits."""
        found: dict[str, SupplierProduct] = {}
        for i in range(0, len(supplier_skus), LOOKUP_CHUNK):
            chunk = list(supplier_skus[i : i + LOOKUP_CHUNK])
            # One array parameter rather than an IN list of thousands of binds.
            codes = sa.bindparam("codes", chunk, type_=ARRAY(sa.String()))
            rows = await self.session.execute(
                sa.select(t)
                .where(t.c.supplier_id == supplier_id, t.c.supplier_sku == sa.any_(codes))
                .order_by(t.c.supplier_sku)
                .with_for_update()
            )
            for r in rows:
                found[r.supplier_sku] = product_of(r)
        return found

    async def get(self, supplier_id: str, supplier_sku: str) -> SupplierProduct:
        row = (
            await self.session.execute(
                sa.select(t)
                .where(t.c.supplier_id == supplier_id, t.c.supplier_sku == supplier_sku)
                .with_for_update()
            )
        ).first()
        if row is None:
            raise SupplierProductNotFound(
                f"supplier {supplier_id} never listed {supplier_sku!r}",
                details={"supplier_id": supplier_id, "supplier_sku": supplier_sku},
            )
        return product_of(row)

    async def add_many(self, products: Sequence[SupplierProduct]) -> None:
        if products:
            await self.session.execute(sa.insert(t), [_row(p) for p in products])

    async def save_many(self, products: Sequence[SupplierProduct]) -> None:
        if not products:
            return
        # executemany of one UPDATE; bind names differ from the columns (SQLAlchemy rule).
        columns = [c for c in _row(products[0]) if c not in ("id", "supplier_id", "created_at")]
        rows = [{f"v_{k}": v for k, v in _row(p).items()} for p in products]
        stmt = (
            sa.update(t)
            .where(t.c.id == sa.bindparam("v_id"))
            .values({c: sa.bindparam(f"v_{c}") for c in columns})
        )
        await self.session.execute(stmt, rows)

    async def seen(self, supplier_id: str, supplier_skus: Sequence[str], at: datetime) -> None:
        """Items listed again unchanged: only when they were last seen moves."""
        if supplier_skus:
            codes = sa.bindparam("codes", list(supplier_skus), type_=ARRAY(sa.String()))
            await self.session.execute(
                sa.update(t)
                .where(t.c.supplier_id == supplier_id, t.c.supplier_sku == sa.any_(codes))
                .values(last_seen_at=at)
            )

    async def offers_for(self, sku: str) -> list[Offer]:
        return await offers_for(self.session, sku)

    async def record_history(self, points: Sequence[HistoryPoint]) -> None:
        if points:
            await self.session.execute(
                sa.insert(h),
                [
                    {
                        "supplier_product_id": p.product_id,
                        "price": p.price,
                        "currency": p.currency,
                        "in_stock": p.in_stock,
                        "stock_quantity": p.stock_quantity,
                        "change_pct": p.change_pct,
                        "sync_run_id": p.sync_run_id,
                        "observed_at": p.observed_at,
                    }
                    for p in points
                ],
            )


def alert_of(row: sa.Row[Any]) -> PriceAlert:
    m = row._mapping
    return PriceAlert(
        id=m["id"],
        supplier_id=m["supplier_id"],
        supplier_sku=m["supplier_sku"],
        sku=m["sku"],
        old_price=m["old_price"],
        new_price=m["new_price"],
        currency=m["currency"],
        change_pct=m["change_pct"],
        status=AlertStatus(m["status"]),
        sync_run_id=m["sync_run_id"],
        created_at=m["created_at"],
        acknowledged_at=m["acknowledged_at"],
    )


class PriceAlerts:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def add_many(self, alerts: Sequence[PriceAlert]) -> None:
        if alerts:
            await self.session.execute(
                sa.insert(a),
                [
                    {
                        "id": x.id,
                        "supplier_id": x.supplier_id,
                        "supplier_sku": x.supplier_sku,
                        "sku": x.sku,
                        "old_price": x.old_price,
                        "new_price": x.new_price,
                        "currency": x.currency,
                        "change_pct": x.change_pct,
                        "status": x.status.value,
                        "sync_run_id": x.sync_run_id,
                        "created_at": x.created_at,
                        "acknowledged_at": x.acknowledged_at,
                    }
                    for x in alerts
                ],
            )

    async def get(self, alert_id: str) -> PriceAlert:
        row = (
            await self.session.execute(sa.select(a).where(a.c.id == alert_id).with_for_update())
        ).first()
        if row is None:
            raise PriceAlertNotFound(f"no price alert {alert_id}", details={"id": alert_id})
        return alert_of(row)

    async def save(self, alert: PriceAlert) -> None:
        await self.session.execute(
            sa.update(a)
            .where(a.c.id == alert.id)
            .values(status=alert.status.value, acknowledged_at=alert.acknowledged_at)
        )
