"""The orders repository: load and save the order aggregate (one row, its status
history rows), find an order by its idempotency key, and the conditional writes of the
placement saga (compare-and-set on owner and placement)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping

from cypher_runtime.db import UnitOfWork
from orders.db.documents import (
    lines_document,
    lines_from_document,
    returns_document,
    returns_from_document,
    shipments_document,
    shipments_from_document,
)
from orders.db.tables import orders, status_history
from orders.domain.order import Order, OrderSource
from orders.domain.placement import Placement
from orders.domain.status import OrderStatus


def _values(order: Order) -> dict[str, Any]:
    totals = order.totals()
    return {
        "number": order.number,
        "customer_id": order.customer_id,
        "status": order.status.value if order.status else None,
        "source": order.source.value,
        "placement": order.placement.value if order.placement else None,
        "quotation_id": order.quotation_id,
        "lines": lines_document(order.lines),
        "shipments": shipments_document(order.shipments),
        "returns": returns_document(order.returns),
        "currency": order.currency,
        "allow_backorder": order.allow_backorder,
        "notes": order.notes,
        "shipping_address": order.shipping_address,
        "reservation_id": order.reservation_id,
        "pricing_date": order.pricing_date,
        "net_total": totals.net,
        "vat_total": totals.vat,
        "gross_total": totals.gross,
        "invoice_id": order.invoice_id,
        "amount_paid": order.amount_paid,
        "version": order.version,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "confirmed_at": order.confirmed_at,
    }


def order_from_row(row: RowMapping) -> Order:
    return Order(
        id=row["id"],
        number=row["number"],
        customer_id=row["customer_id"],
        status=OrderStatus(row["status"]) if row["status"] else None,
        source=OrderSource(row["source"]),
        placement=Placement(row["placement"]) if row["placement"] else None,
        quotation_id=row["quotation_id"],
        lines=lines_from_document(row["lines"]),
        shipments=shipments_from_document(row["shipments"]),
        returns=returns_from_document(row["returns"]),
        currency=row["currency"],
        allow_backorder=row["allow_backorder"],
        notes=row["notes"],
        shipping_address=row["shipping_address"],
        reservation_id=row["reservation_id"],
        pricing_date=row["pricing_date"],
        invoice_id=row["invoice_id"],
        amount_paid=Decimal(row["amount_paid"]),
        version=int(row["version"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        confirmed_at=row["confirmed_at"],
    )


@dataclass(frozen=True)
class KeyedOrder:
    """An order found by its idempotency key, with what a repeat is compared against."""

    order: Order
    request_hash: str | None
    saga_error: dict[str, Any] | None


class Orders:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def add(
        self,
        order: Order,
        *,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        saga_owner: str | None = None,
    ) -> bool:
        """Insert the order (and the history rows of its recorded transitions).
        False when its idempotency key (or quotation id) is already taken."""
        result = await self.session.execute(
            insert(orders)
            .values(
                id=order.id,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                saga_owner=saga_owner,
                **_values(order),
            )
            .on_conflict_do_nothing()
            .returning(orders.c.id)
        )
        if result.first() is None:
            return False
        await self._append_history(order)
        return True

    async def get(self, order_id: uuid.UUID, *, for_update: bool = False) -> Order | None:
        stmt = select(orders).where(orders.c.id == order_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).mappings().first()
        return order_from_row(row) if row else None

    async def by_idempotency_key(self, key: str) -> KeyedOrder | None:
        stmt = select(orders).where(orders.c.idempotency_key == key)
        row = (await self.session.execute(stmt)).mappings().first()
        if row is None:
            return None
        return KeyedOrder(order_from_row(row), row["request_hash"], row["saga_error"])

    async def save(
        self,
        order: Order,
        *,
        expect_owner: str | None = None,
        expect_placement: Sequence[Placement] | None = None,
        saga_owner: str | None = None,
        clear_owner: bool = False,
        saga_error: dict[str, Any] | None = None,
    ) -> bool:
        """Write the aggregate back with the history rows of its recorded transitions.
        With `expect_owner`/`expect_placement` the write is a compare-and-set: False
        means someone else owns the saga now, and nothing was written."""
        stmt = update(orders).where(orders.c.id == order.id)
        if expect_owner is not None:
            stmt = stmt.where(orders.c.saga_owner == expect_owner)
        if expect_placement is not None:
            stmt = stmt.where(orders.c.placement.in_([p.value for p in expect_placement]))
        values = _values(order)
        if saga_owner is not None:
            values["saga_owner"] = saga_owner
        if clear_owner:
            values["saga_owner"] = None
        if saga_error is not None:
            values["saga_error"] = saga_error
        result = await self.session.execute(stmt.values(**values).returning(orders.c.id))
        if result.first() is None:
            return False
        await self._append_history(order)
        return True

    async def release_key(self, order_id: uuid.UUID) -> None:
        """A FAILED placement never became visible: free its idempotency key and
        quotation id, so a retry places a new order."""
        await self.session.execute(
            update(orders)
            .where(orders.c.id == order_id, orders.c.placement == Placement.FAILED.value)
            .values(idempotency_key=None, quotation_id=None)
        )

    async def _append_history(self, order: Order) -> None:
        changes = order.status_changes
        if not changes:
            return
        await self.session.execute(
            status_history.insert(),
            [
                {
                    "order_id": order.id,
                    "from_status": c.from_status.value if c.from_status else None,
                    "to_status": c.to_status.value,
                    "actor": c.actor,
                    "reason": c.reason,
                    "changed_at": c.changed_at,
                }
                for c in changes
            ],
        )
