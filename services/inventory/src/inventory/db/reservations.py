"""The reservation repository: claim, load (optionally locked), save.

Lock order (the service-wide rule, see `db.stock`): reservation rows are always locked
before any sku row; several reservations are locked in id order."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.dialects.postgresql import insert

from cypher_runtime.db import UnitOfWork
from inventory.db.tables import backorders, reservation_allocations, reservation_commits
from inventory.db.tables import reservations as table
from inventory.domain.reservation import (
    HOLDING,
    AllocationState,
    BackorderState,
    BackorderStatus,
    Reservation,
    ReservationStatus,
)
from inventory.domain.stock import Line

HOLDING_STATUSES = tuple(sorted(s.value for s in HOLDING))


def lines_to_json(lines: tuple[Line, ...]) -> list[list[Any]]:
    return [[line.sku, line.quantity] for line in lines]


def lines_from_json(raw: Any) -> tuple[Line, ...]:
    return tuple(Line(str(sku), int(qty)) for sku, qty in raw)


class Reservations:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def claim(
        self,
        *,
        order_id: str,
        status: ReservationStatus,
        lines: tuple[Line, ...],
        allow_backorder: bool,
        now: datetime,
        expires_at: datetime | None,
    ) -> Reservation | None:
        """Insert the reservation row for an order, or None when the order already has
        one. A concurrent claim of the same order waits on the unique index until the
        first transaction ends, before it holds any stock lock (so it cannot deadlock)."""
        new_id = uuid.uuid4()
        row = (
            await self.session.execute(
                insert(table)
                .values(
                    id=new_id,
                    order_id=order_id,
                    status=status.value,
                    allow_backorder=allow_backorder,
                    lines=lines_to_json(lines),
                    created_at=now,
                    updated_at=now,
                    expires_at=expires_at,
                    version=1,
                )
                .on_conflict_do_nothing(index_elements=["order_id"])
                .returning(table.c.id)
            )
        ).first()
        if row is None:
            return None
        return Reservation(
            id=str(new_id),
            order_id=order_id,
            status=status,
            lines=lines,
            created_at=now,
            expires_at=expires_at,
            updated_at=now,
        )

    async def tombstone(self, order_id: str, now: datetime) -> bool:
        """Mark an order that was never reserved as RELEASED (False if it has a
        reservation), so a Reserve arriving after its compensation holds nothing."""
        claimed = await self.claim(
            order_id=order_id,
            status=ReservationStatus.RELEASED,
            lines=(),
            allow_backorder=False,
            now=now,
            expires_at=None,
        )
        return claimed is not None

    async def get(self, order_id: str, *, for_update: bool = False) -> Reservation | None:
        stmt = select(table).where(table.c.order_id == order_id)
        if for_update:
            stmt = stmt.with_for_update()
        found = await self._hydrate(list((await self.session.execute(stmt)).all()))
        return found[0] if found else None

    async def lock_waiting_for(self, skus: list[str]) -> list[Reservation]:
        """Holding reservations with an open backorder of these skus, locked in id order
        (the one order every multi-reservation lock uses), oldest first in the result."""
        waiting = (
            select(backorders.c.reservation_id)
            .where(
                and_(
                    backorders.c.sku.in_(skus),
                    backorders.c.status == BackorderStatus.OPEN.value,
                )
            )
            .scalar_subquery()
        )
        rows = (
            await self.session.execute(
                select(table)
                .where(table.c.id.in_(waiting), table.c.status.in_(HOLDING_STATUSES))
                .order_by(table.c.id)
                .with_for_update()
            )
        ).all()
        found = await self._hydrate(list(rows))
        return sorted(found, key=lambda r: (r.created_at, r.id))

    async def lock_next_due(self, now: datetime) -> Reservation | None:
        """One expired PENDING reservation, locked; SKIP LOCKED lets several replicas run
        the expiry job at once without waiting on (or double-releasing) the same row."""
        rows = (
            await self.session.execute(
                select(table)
                .where(
                    table.c.status == ReservationStatus.PENDING.value,
                    table.c.expires_at <= now,
                )
                .order_by(table.c.expires_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).all()
        found = await self._hydrate(list(rows))
        return found[0] if found else None

    async def save(self, res: Reservation, now: datetime, *, new: bool = False) -> None:
        """Write the reservation's state and stamp `updated_at`. `new`: the claim
        inserted the row as it is, so only its allocations and backorders are written."""
        rid = uuid.UUID(res.id)
        if not new:
            await self.session.execute(
                update(table)
                .where(table.c.id == rid)
                .values(
                    status=res.status.value,
                    expires_at=res.expires_at,
                    version=res.version,
                    updated_at=now,
                )
            )
        if res.allocations:
            stmt = insert(reservation_allocations).values(
                [
                    {
                        "reservation_id": rid,
                        "sku": a.sku,
                        "warehouse": a.warehouse,
                        "quantity": a.quantity,
                        "committed_quantity": a.committed,
                        "released_quantity": a.released,
                    }
                    for a in res.allocations
                ]
            )
            await self.session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["reservation_id", "sku", "warehouse"],
                    set_={
                        "quantity": stmt.excluded.quantity,
                        "committed_quantity": stmt.excluded.committed_quantity,
                        "released_quantity": stmt.excluded.released_quantity,
                    },
                )
            )
        for b in res.backorders:
            if b.id is None:
                b.id = await self._insert_backorder(rid, b, now)
            else:
                await self.session.execute(
                    update(backorders)
                    .where(backorders.c.id == b.id)
                    .values(fulfilled_quantity=b.fulfilled, status=b.status.value)
                )
        res.updated_at = now

    async def _insert_backorder(self, rid: uuid.UUID, b: BackorderState, now: datetime) -> int:
        new_id = (
            await self.session.execute(
                insert(backorders)
                .values(
                    reservation_id=rid,
                    sku=b.sku,
                    quantity=b.quantity,
                    fulfilled_quantity=b.fulfilled,
                    expected_date=b.expected_date,
                    status=b.status.value,
                    created_at=now,
                )
                .returning(backorders.c.id)
            )
        ).scalar_one()
        return int(new_id)

    async def record_commit(self, res: Reservation, shipment_id: str, now: datetime) -> bool:
        """False when this shipment was already committed (a replay)."""
        row = (
            await self.session.execute(
                insert(reservation_commits)
                .values(reservation_id=uuid.UUID(res.id), shipment_id=shipment_id, created_at=now)
                .on_conflict_do_nothing()
                .returning(reservation_commits.c.shipment_id)
            )
        ).first()
        return row is not None

    async def _hydrate(self, rows: list[Any]) -> list[Reservation]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        allocs = (
            await self.session.execute(
                select(reservation_allocations)
                .where(reservation_allocations.c.reservation_id.in_(ids))
                .order_by(reservation_allocations.c.sku, reservation_allocations.c.warehouse)
            )
        ).all()
        backs = (
            await self.session.execute(
                select(backorders)
                .where(backorders.c.reservation_id.in_(ids))
                .order_by(backorders.c.id)
            )
        ).all()
        return [
            Reservation(
                id=str(r.id),
                order_id=r.order_id,
                status=ReservationStatus(r.status),
                lines=lines_from_json(r.lines),
                created_at=r.created_at,
                expires_at=r.expires_at,
                version=r.version,
                updated_at=r.updated_at,
                allocations=[
                    AllocationState(
                        a.sku, a.warehouse, a.quantity, a.committed_quantity, a.released_quantity
                    )
                    for a in allocs
                    if a.reservation_id == r.id
                ],
                backorders=[
                    BackorderState(
                        b.id,
                        b.sku,
                        b.quantity,
                        b.expected_date,
                        b.fulfilled_quantity,
                        BackorderStatus(b.status),
                    )
                    for b in backs
                    if b.reservation_id == r.id
                ],
            )
            for r in rows
        ]
