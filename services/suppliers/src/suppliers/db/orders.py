"""The SupplierOrders repository: an order row and its lines <-> `SupplierOrder`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from cypher_runtime.db import UnitOfWork
from suppliers.db.tables import supplier_order_lines as ln
from suppliers.db.tables import supplier_orders as t
from suppliers.domain.orders import OrderLine, OrderStatus, SupplierOrder
from suppliers.errors import SupplierOrderNotFound, VersionConflict


def _order_values(o: SupplierOrder) -> dict[str, Any]:
    return {
        "status": o.status.value,
        "total": o.total,
        "version": o.version,
        "updated_at": o.updated_at,
        "received_at": o.received_at,
    }


def order_of(row: sa.Row[Any], lines: list[OrderLine]) -> SupplierOrder:
    m = row._mapping
    return SupplierOrder(
        id=m["id"],
        supplier_id=m["supplier_id"],
        status=OrderStatus(m["status"]),
        lines=lines,
        currency=m["currency"],
        order_id=m["order_id"],
        expected_date=m["expected_date"],
        notes=m["notes"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        received_at=m["received_at"],
    )


def line_of(row: sa.Row[Any]) -> OrderLine:
    return OrderLine(
        sku=row.sku,
        supplier_sku=row.supplier_sku,
        quantity=row.quantity,
        unit_price=row.unit_price,
        warehouse=row.warehouse,
        received_quantity=row.received_quantity,
    )


class SupplierOrders:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def add(self, order: SupplierOrder, idempotency_key: str | None) -> bool:
        """Store a new order; False when an order with this idempotency key exists."""
        stmt = (
            insert(t)
            .values(
                id=order.id,
                supplier_id=order.supplier_id,
                currency=order.currency,
                order_id=order.order_id,
                expected_date=order.expected_date,
                notes=order.notes,
                idempotency_key=idempotency_key,
                created_at=order.created_at,
                **_order_values(order),
            )
            .on_conflict_do_nothing(index_elements=[t.c.idempotency_key])
            .returning(t.c.id)
        )
        if (await self.session.execute(stmt)).first() is None:
            return False
        await self.session.execute(
            sa.insert(ln),
            [
                {
                    "supplier_order_id": order.id,
                    "line_no": i,
                    "sku": line.sku,
                    "supplier_sku": line.supplier_sku,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "warehouse": line.warehouse,
                    "received_quantity": line.received_quantity,
                }
                for i, line in enumerate(order.lines, start=1)
            ],
        )
        return True

    async def by_idempotency_key(self, key: str) -> SupplierOrder | None:
        row = (
            await self.session.execute(sa.select(t.c.id).where(t.c.idempotency_key == key))
        ).first()
        return await self.get(row.id) if row is not None else None

    async def get(self, order_id: str, *, for_update: bool = False) -> SupplierOrder:
        stmt = sa.select(t).where(t.c.id == order_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).first()
        if row is None:
            raise SupplierOrderNotFound(f"no supplier order {order_id}", details={"id": order_id})
        lines = await self.session.execute(
            sa.select(ln).where(ln.c.supplier_order_id == order_id).order_by(ln.c.line_no)
        )
        return order_of(row, [line_of(r) for r in lines])

    async def save(self, order: SupplierOrder, loaded_version: int) -> None:
        result = await self.session.execute(
            sa.update(t)
            .where(t.c.id == order.id, t.c.version == loaded_version)
            .values(**_order_values(order))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise VersionConflict(f"supplier order {order.id} changed meanwhile")
        for i, line in enumerate(order.lines, start=1):
            await self.session.execute(
                sa.update(ln)
                .where(ln.c.supplier_order_id == order.id, ln.c.line_no == i)
                .values(received_quantity=line.received_quantity)
            )
