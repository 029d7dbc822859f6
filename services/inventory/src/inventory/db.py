"""Inventory tables (SQLAlchemy Core) and the reservation repository.

Core rather than ORM models: every stock write is a set-based conditional UPDATE
(`... WHERE on_hand + :d >= reserved ...`), which an identity map would only get in
the way of. The CHECK constraints are the last guard: whatever a bug does, the
database refuses a negative `available`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    and_,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.domain import (
    AllocationState,
    BackorderState,
    BackorderStatus,
    Line,
    Reservation,
    ReservationStatus,
    Warehouse,
)

metadata = MetaData()

warehouses = Table(
    "warehouses",
    metadata,
    Column("code", String(10), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("priority", Integer, nullable=False, unique=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
)

# One row per sku ever stocked: the per-sku lock every stock writer takes first (in sku
# order) and the per-sku stock version carried by inventory.stock_changed.
skus = Table(
    "skus",
    metadata,
    Column("sku", String(100), primary_key=True),
    Column("version", BigInteger, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

stock = Table(
    "stock",
    metadata,
    Column("sku", String(100), ForeignKey("skus.sku"), nullable=False),
    Column("warehouse", String(10), ForeignKey("warehouses.code"), nullable=False),
    Column("on_hand", BigInteger, nullable=False, server_default=text("0")),
    Column("reserved", BigInteger, nullable=False, server_default=text("0")),
    Column("low_stock_threshold", Integer, nullable=True),
    # True while available >= threshold: the next fall below it raises one alert.
    Column("low_stock_armed", Boolean, nullable=False, server_default=text("false")),
    # Per sku×warehouse version, bumped on each change of this row.
    Column("version", BigInteger, nullable=False, server_default=text("0")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("sku", "warehouse", name="pk_stock"),
    CheckConstraint("reserved >= 0", name="ck_stock_reserved_not_negative"),
    CheckConstraint("on_hand >= reserved", name="ck_stock_available_not_negative"),
    CheckConstraint(
        "low_stock_threshold IS NULL OR low_stock_threshold >= 0", name="ck_stock_threshold"
    ),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", String(100), nullable=False, unique=True),
    Column("status", String(30), nullable=False),
    Column("allow_backorder", Boolean, nullable=False, server_default=text("false")),
    # Canonical requested lines [[sku, qty], ...]: a replay must name the same ones.
    Column("lines", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("version", BigInteger, nullable=False, server_default=text("1")),
    Index("ix_reservations_due", "expires_at", postgresql_where=text("status = 'PENDING'")),
)

reservation_allocations = Table(
    "reservation_allocations",
    metadata,
    Column("reservation_id", UUID(as_uuid=True), ForeignKey("reservations.id"), nullable=False),
    Column("sku", String(100), nullable=False),
    Column("warehouse", String(10), ForeignKey("warehouses.code"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("committed_quantity", BigInteger, nullable=False, server_default=text("0")),
    Column("released_quantity", BigInteger, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("reservation_id", "sku", "warehouse", name="pk_reservation_allocations"),
    CheckConstraint(
        "committed_quantity >= 0 AND released_quantity >= 0"
        " AND committed_quantity + released_quantity <= quantity",
        name="ck_allocation_quantities",
    ),
    Index("ix_allocations_sku_warehouse", "sku", "warehouse"),
)

backorders = Table(
    "backorders",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("reservation_id", UUID(as_uuid=True), ForeignKey("reservations.id"), nullable=False),
    Column("sku", String(100), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("fulfilled_quantity", BigInteger, nullable=False, server_default=text("0")),
    Column("expected_date", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "quantity > 0 AND fulfilled_quantity >= 0 AND fulfilled_quantity <= quantity",
        name="ck_backorder_quantities",
    ),
    Index("ix_backorders_open", "sku", "id", postgresql_where=text("status = 'OPEN'")),
)

# Shipments already committed: Commit is idempotent by shipment id.
reservation_commits = Table(
    "reservation_commits",
    metadata,
    Column("reservation_id", UUID(as_uuid=True), ForeignKey("reservations.id"), nullable=False),
    Column("shipment_id", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("reservation_id", "shipment_id", name="pk_reservation_commits"),
)

movements = Table(
    "movements",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("sku", String(100), nullable=False),
    Column("warehouse", String(10), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("on_hand_delta", BigInteger, nullable=False),
    Column("reserved_delta", BigInteger, nullable=False),
    Column("on_hand_after", BigInteger, nullable=False),
    Column("reserved_after", BigInteger, nullable=False),
    Column("reason", Text, nullable=False, server_default=text("''")),
    Column("reference", String(200), nullable=False, server_default=text("''")),
    Column("actor", String(200), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Index("ix_movements_sku_id", "sku", "id"),
    Index("ix_movements_sku_warehouse", "sku", "warehouse"),
)

HOLDING_STATUSES = (
    ReservationStatus.PENDING.value,
    ReservationStatus.CONFIRMED.value,
    ReservationStatus.PARTIALLY_COMMITTED.value,
)


# -- warehouses ----------------------------------------------------------------------------


async def list_warehouses(session: AsyncSession) -> list[Warehouse]:
    rows = (await session.execute(select(warehouses).order_by(warehouses.c.priority))).all()
    return [Warehouse(r.code, r.name, r.priority, r.active) for r in rows]


# -- reservations --------------------------------------------------------------------------


def lines_to_json(lines: tuple[Line, ...]) -> list[list[Any]]:
    return [[line.sku, line.quantity] for line in lines]


def lines_from_json(raw: Any) -> tuple[Line, ...]:
    return tuple(Line(str(sku), int(qty)) for sku, qty in raw)


async def claim_reservation(
    session: AsyncSession,
    *,
    order_id: str,
    status: ReservationStatus,
    lines: tuple[Line, ...],
    allow_backorder: bool,
    now: datetime,
    expires_at: datetime | None,
) -> uuid.UUID | None:
    """Insert the reservation row for an order, or None when the order already has one.
    A concurrent claim of the same order waits on the unique index until the first
    transaction ends, before it holds any stock lock (so it cannot deadlock)."""
    new_id = uuid.uuid4()
    row = (
        await session.execute(
            insert(reservations)
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
            .returning(reservations.c.id)
        )
    ).first()
    return None if row is None else new_id


async def _hydrate(session: AsyncSession, rows: list[Any]) -> list[Reservation]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    allocs = (
        await session.execute(
            select(reservation_allocations)
            .where(reservation_allocations.c.reservation_id.in_(ids))
            .order_by(reservation_allocations.c.sku, reservation_allocations.c.warehouse)
        )
    ).all()
    backs = (
        await session.execute(
            select(backorders).where(backorders.c.reservation_id.in_(ids)).order_by(backorders.c.id)
        )
    ).all()
    result: list[Reservation] = []
    for r in rows:
        res = Reservation(
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
        result.append(res)
    return result


async def get_reservation(
    session: AsyncSession, order_id: str, *, for_update: bool = False
) -> Reservation | None:
    stmt = select(reservations).where(reservations.c.order_id == order_id)
    if for_update:
        stmt = stmt.with_for_update()
    rows = list((await session.execute(stmt)).all())
    found = await _hydrate(session, rows)
    return found[0] if found else None


async def lock_reservations_waiting_for(
    session: AsyncSession, sku_list: list[str]
) -> list[Reservation]:
    """Holding reservations with an open backorder of these skus, locked in id order (the
    one order every multi-reservation lock uses), oldest first in the result."""
    waiting = (
        select(backorders.c.reservation_id)
        .where(
            and_(
                backorders.c.sku.in_(sku_list),
                backorders.c.status == BackorderStatus.OPEN.value,
            )
        )
        .scalar_subquery()
    )
    rows = list(
        (
            await session.execute(
                select(reservations)
                .where(reservations.c.id.in_(waiting), reservations.c.status.in_(HOLDING_STATUSES))
                .order_by(reservations.c.id)
                .with_for_update()
            )
        ).all()
    )
    found = await _hydrate(session, rows)
    return sorted(found, key=lambda r: (r.created_at, r.id))


async def lock_next_due(session: AsyncSession, now: datetime) -> Reservation | None:
    """One expired PENDING reservation, locked; SKIP LOCKED lets several replicas run the
    expiry job at once without waiting on (or double-releasing) the same row."""
    rows = list(
        (
            await session.execute(
                select(reservations)
                .where(
                    reservations.c.status == ReservationStatus.PENDING.value,
                    reservations.c.expires_at <= now,
                )
                .order_by(reservations.c.expires_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).all()
    )
    found = await _hydrate(session, rows)
    return found[0] if found else None


async def save_reservation(
    session: AsyncSession, res: Reservation, now: datetime, *, just_claimed: bool = False
) -> None:
    """Write the reservation's state; `just_claimed` skips the row itself (the claim
    inserted it as it is), leaving only its allocations and backorders."""
    rid = uuid.UUID(res.id)
    if not just_claimed:
        await session.execute(
            update(reservations)
            .where(reservations.c.id == rid)
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
        await session.execute(
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
        await session.execute(
            update(backorders)
            .where(backorders.c.id == b.id)
            .values(fulfilled_quantity=b.fulfilled, status=b.status.value)
        )


async def add_backorder(
    session: AsyncSession,
    res: Reservation,
    *,
    sku: str,
    quantity: int,
    expected: date,
    now: datetime,
) -> BackorderState:
    backorder_id = (
        await session.execute(
            insert(backorders)
            .values(
                reservation_id=uuid.UUID(res.id),
                sku=sku,
                quantity=quantity,
                expected_date=expected,
                status=BackorderStatus.OPEN.value,
                created_at=now,
            )
            .returning(backorders.c.id)
        )
    ).scalar_one()
    state = BackorderState(int(backorder_id), sku, quantity, expected)
    res.backorders.append(state)
    return state


async def record_commit(
    session: AsyncSession, res: Reservation, shipment_id: str, now: datetime
) -> bool:
    """False when this shipment was already committed (a replay)."""
    row = (
        await session.execute(
            insert(reservation_commits)
            .values(reservation_id=uuid.UUID(res.id), shipment_id=shipment_id, created_at=now)
            .on_conflict_do_nothing()
            .returning(reservation_commits.c.shipment_id)
        )
    ).first()
    return row is not None
