"""Tables of the orders database and the repositories over them.

An order is stored as one row: its lines, shipments and returns are JSONB inside it.
Why: the aggregate is always loaded and saved whole under a row lock (`FOR UPDATE`),
so one row read and one row write per change is both simplest and fastest, and no
query of this service needs to look inside lines. Status history, the saga log and
the per-year number counters are tables of their own.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from orders.domain.customer import Customer
from orders.domain.model import (
    LinePrice,
    Order,
    OrderLine,
    OrderReturn,
    OrderSource,
    Placement,
    Shipment,
    ShipmentStatus,
    StatusChange,
)
from orders.domain.numbering import PREFIX as NUMBER_PREFIX
from orders.domain.status import OrderStatus

metadata = SQLModel.metadata

customers = Table(
    "customers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("email_lower", Text, nullable=False, unique=True),
    Column("company", Text, nullable=False, server_default=""),
    Column("vat_code", Text, nullable=False, server_default=""),
    Column("address", JSONB, nullable=True),
    Column("phone", Text, nullable=False, server_default=""),
    Column("version", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_customers_name_id", customers.c.name, customers.c.id)

orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", Text, nullable=True, unique=True),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    # NULL until the order is visible (confirmed, or a quote request).
    Column("status", Text, nullable=True),
    Column("source", Text, nullable=False),
    Column("placement", Text, nullable=True),
    Column("saga_owner", Text, nullable=True),
    Column("saga_error", JSONB, nullable=True),
    Column("idempotency_key", Text, nullable=True, unique=True),
    Column("request_hash", Text, nullable=True),
    Column("quotation_id", Text, nullable=True, unique=True),
    Column("lines", JSONB, nullable=False),
    Column("shipments", JSONB, nullable=False),
    Column("returns", JSONB, nullable=False),
    Column("currency", Text, nullable=False),
    Column("allow_backorder", Boolean, nullable=False),
    Column("notes", Text, nullable=False),
    Column("shipping_address", JSONB, nullable=True),
    Column("reservation_id", Text, nullable=True),
    Column("pricing_date", Text, nullable=True),
    Column("net_total", Numeric(14, 2), nullable=False),
    Column("vat_total", Numeric(14, 2), nullable=False),
    Column("gross_total", Numeric(14, 2), nullable=False),
    Column("invoice_id", Text, nullable=True),
    Column("amount_paid", Numeric(14, 2), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
)
Index("ix_orders_visible_created", orders.c.created_at, orders.c.id)
Index("ix_orders_customer_created", orders.c.customer_id, orders.c.created_at)
Index(
    "ix_orders_saga_open",
    orders.c.placement,
    postgresql_where=text("placement IN ('PENDING', 'COMPENSATING')"),
)

status_history = Table(
    "order_status_history",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id"), nullable=False, index=True),
    Column("from_status", Text, nullable=True),
    Column("to_status", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

saga_log = Table(
    "saga_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id"), nullable=False, index=True),
    Column("step", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("detail", JSONB, nullable=True),
    Column("owner", Text, nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("duration_ms", Numeric(12, 3), nullable=True),
)

order_number_counters = Table(
    "order_number_counters",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

saga_instances = Table(
    "saga_instances",
    metadata,
    Column("id", Text, primary_key=True),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
)


# -- cursors ----------------------------------------------------------------------------
def encode_cursor(*values: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


def decode_cursor(cursor: str, size: int) -> list[str] | None:
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, json.JSONDecodeError):
        return None
    if not isinstance(values, list) or len(values) != size:
        return None
    return [str(v) for v in values]


# -- customers --------------------------------------------------------------------------
def _customer(row: RowMapping) -> Customer:
    return Customer(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        company=row["company"],
        vat_code=row["vat_code"],
        address=row["address"],
        phone=row["phone"],
        version=int(row["version"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def insert_customer(session: AsyncSession, customer: Customer) -> bool:
    """False when the email is taken (unique, case-insensitive)."""
    result = await session.execute(
        insert(customers)
        .values(
            id=customer.id,
            name=customer.name,
            email=customer.email,
            email_lower=customer.email.lower(),
            company=customer.company,
            vat_code=customer.vat_code,
            address=customer.address,
            phone=customer.phone,
            version=customer.version,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
        )
        .on_conflict_do_nothing(index_elements=["email_lower"])
        .returning(customers.c.id)
    )
    return result.first() is not None


async def get_customer(
    session: AsyncSession, customer_id: uuid.UUID, *, for_update: bool = False
) -> Customer | None:
    stmt = select(customers).where(customers.c.id == customer_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).mappings().first()
    return _customer(row) if row else None


async def email_taken(session: AsyncSession, email: str, *, other_than: uuid.UUID) -> bool:
    stmt = select(customers.c.id).where(
        customers.c.email_lower == email.lower(), customers.c.id != other_than
    )
    return (await session.execute(stmt)).first() is not None


async def save_customer(session: AsyncSession, customer: Customer) -> None:
    await session.execute(
        update(customers)
        .where(customers.c.id == customer.id)
        .values(
            name=customer.name,
            email=customer.email,
            email_lower=customer.email.lower(),
            company=customer.company,
            vat_code=customer.vat_code,
            address=customer.address,
            phone=customer.phone,
            version=customer.version,
            updated_at=customer.updated_at,
        )
    )


async def list_customers(
    session: AsyncSession, *, search: str, limit: int, cursor: str
) -> tuple[list[Customer], str]:
    stmt = select(customers)
    if search:
        pattern = f"%{search.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(customers.c.name).like(pattern),
                customers.c.email_lower.like(pattern),
                func.lower(customers.c.company).like(pattern),
                func.lower(customers.c.vat_code).like(pattern),
            )
        )
    after = decode_cursor(cursor, 2)
    if after is not None:
        stmt = stmt.where(
            or_(
                customers.c.name > after[0],
                and_(customers.c.name == after[0], customers.c.id > uuid.UUID(after[1])),
            )
        )
    stmt = stmt.order_by(customers.c.name, customers.c.id).limit(limit + 1)
    rows = (await session.execute(stmt)).mappings().all()
    items = [_customer(r) for r in rows[:limit]]
    next_cursor = encode_cursor(items[-1].name, str(items[-1].id)) if len(rows) > limit else ""
    return items, next_cursor


# -- orders -----------------------------------------------------------------------------
def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _lines_json(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "sku": ln.sku,
            "quantity": ln.quantity,
            "shipped": ln.shipped,
            "delivered": ln.delivered,
            "returned": ln.returned,
            "backordered": ln.backordered,
            "price": dict(ln.price.fields) if ln.price is not None else None,
            "price_locked": ln.price_locked,
        }
        for ln in order.lines
    ]


def _shipments_json(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "id": str(s.id),
            "lines": s.lines,
            "status": s.status.value,
            "carrier": s.carrier,
            "tracking_number": s.tracking_number,
            "shipped_at": s.shipped_at.isoformat(),
            "delivered_at": s.delivered_at.isoformat() if s.delivered_at else None,
        }
        for s in order.shipments
    ]


def _returns_json(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "id": str(r.id),
            "lines": r.lines,
            "reason": r.reason,
            "created_at": r.created_at.isoformat(),
        }
        for r in order.returns
    ]


def order_values(order: Order) -> dict[str, Any]:
    totals = order.totals()
    return {
        "number": order.number,
        "customer_id": order.customer_id,
        "status": order.status.value if order.status else None,
        "source": order.source.value,
        "placement": order.placement.value if order.placement else None,
        "quotation_id": order.quotation_id,
        "lines": _lines_json(order),
        "shipments": _shipments_json(order),
        "returns": _returns_json(order),
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


def row_to_order(row: RowMapping) -> Order:
    return Order(
        id=row["id"],
        number=row["number"],
        customer_id=row["customer_id"],
        status=OrderStatus(row["status"]) if row["status"] else None,
        source=OrderSource(row["source"]),
        placement=Placement(row["placement"]) if row["placement"] else None,
        quotation_id=row["quotation_id"],
        lines=[
            OrderLine(
                sku=ln["sku"],
                quantity=int(ln["quantity"]),
                shipped=int(ln["shipped"]),
                delivered=int(ln["delivered"]),
                returned=int(ln["returned"]),
                backordered=int(ln["backordered"]),
                price=LinePrice(ln["price"]) if ln.get("price") else None,
                price_locked=bool(ln["price_locked"]),
            )
            for ln in row["lines"]
        ],
        shipments=[
            Shipment(
                id=uuid.UUID(s["id"]),
                lines={k: int(v) for k, v in s["lines"].items()},
                status=ShipmentStatus(s["status"]),
                carrier=s["carrier"],
                tracking_number=s["tracking_number"],
                shipped_at=datetime.fromisoformat(s["shipped_at"]),
                delivered_at=_dt(s["delivered_at"]),
            )
            for s in row["shipments"]
        ],
        returns=[
            OrderReturn(
                id=uuid.UUID(r["id"]),
                lines={k: int(v) for k, v in r["lines"].items()},
                reason=r["reason"],
                created_at=datetime.fromisoformat(r["created_at"]),
            )
            for r in row["returns"]
        ],
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


async def insert_order(
    session: AsyncSession,
    order: Order,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    saga_owner: str | None = None,
) -> bool:
    """False when the idempotency key (or quotation id) is already taken."""
    result = await session.execute(
        insert(orders)
        .values(
            id=order.id,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            saga_owner=saga_owner,
            **order_values(order),
        )
        .on_conflict_do_nothing()
        .returning(orders.c.id)
    )
    return result.first() is not None


async def get_order(
    session: AsyncSession, order_id: uuid.UUID, *, for_update: bool = False
) -> Order | None:
    stmt = select(orders).where(orders.c.id == order_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).mappings().first()
    return row_to_order(row) if row else None


async def get_order_row(session: AsyncSession, order_id: uuid.UUID) -> RowMapping | None:
    return (await session.execute(select(orders).where(orders.c.id == order_id))).mappings().first()


async def find_order_by(
    session: AsyncSession, *, idempotency_key: str | None = None, quotation_id: str | None = None
) -> RowMapping | None:
    if idempotency_key:
        stmt = select(orders).where(orders.c.idempotency_key == idempotency_key)
    elif quotation_id:
        stmt = select(orders).where(orders.c.quotation_id == quotation_id)
    else:
        return None
    return (await session.execute(stmt)).mappings().first()


async def save_order(
    session: AsyncSession,
    order: Order,
    *,
    saga_owner: str | None = None,
    require_owner: str | None = None,
    require_placement: Sequence[Placement] | None = None,
    saga_error: dict[str, Any] | None = None,
    clear_owner: bool = False,
) -> bool:
    """Write the aggregate back. With `require_owner`/`require_placement` the write is
    conditional (compare-and-set): False means someone else owns the saga now."""
    stmt = update(orders).where(orders.c.id == order.id)
    if require_owner is not None:
        stmt = stmt.where(orders.c.saga_owner == require_owner)
    if require_placement is not None:
        stmt = stmt.where(orders.c.placement.in_([p.value for p in require_placement]))
    values = order_values(order)
    if saga_owner is not None:
        values["saga_owner"] = saga_owner
    if clear_owner:
        values["saga_owner"] = None
    if saga_error is not None:
        values["saga_error"] = saga_error
    result = await session.execute(stmt.values(**values).returning(orders.c.id))
    return result.first() is not None


async def set_saga_owner(
    session: AsyncSession, order_id: uuid.UUID, *, expected: str | None, new: str | None
) -> bool:
    """Compare-and-set of the saga owner (claim or orphan a saga)."""
    cond = orders.c.saga_owner.is_(None) if expected is None else orders.c.saga_owner == expected
    result = await session.execute(
        update(orders)
        .where(orders.c.id == order_id, cond)
        .where(orders.c.placement.in_([Placement.PENDING.value, Placement.COMPENSATING.value]))
        .values(saga_owner=new)
        .returning(orders.c.id)
    )
    return result.first() is not None


async def list_orders(
    session: AsyncSession,
    *,
    statuses: Sequence[OrderStatus],
    customer_id: uuid.UUID | None,
    created_from: datetime | None,
    created_to: datetime | None,
    limit: int,
    cursor: str,
) -> tuple[list[Order], str]:
    """Visible orders, newest first, keyset-paginated on (created_at, id)."""
    stmt = select(orders).where(orders.c.status.is_not(None))
    if statuses:
        stmt = stmt.where(orders.c.status.in_([s.value for s in statuses]))
    if customer_id is not None:
        stmt = stmt.where(orders.c.customer_id == customer_id)
    if created_from is not None:
        stmt = stmt.where(orders.c.created_at >= created_from)
    if created_to is not None:
        stmt = stmt.where(orders.c.created_at < created_to)
    after = decode_cursor(cursor, 2)
    if after is not None:
        at, oid = datetime.fromisoformat(after[0]), uuid.UUID(after[1])
        stmt = stmt.where(
            or_(orders.c.created_at < at, and_(orders.c.created_at == at, orders.c.id < oid))
        )
    stmt = stmt.order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit + 1)
    rows = (await session.execute(stmt)).mappings().all()
    items = [row_to_order(r) for r in rows[:limit]]
    next_cursor = (
        encode_cursor(items[-1].created_at.isoformat(), str(items[-1].id))
        if len(rows) > limit
        else ""
    )
    return items, next_cursor


# -- history, saga log, numbering ---------------------------------------------------------
async def append_history(
    session: AsyncSession, order_id: uuid.UUID, changes: Sequence[StatusChange]
) -> None:
    if not changes:
        return
    await session.execute(
        status_history.insert(),
        [
            {
                "order_id": order_id,
                "from_status": c.from_status.value if c.from_status else None,
                "to_status": c.to_status.value,
                "actor": c.actor,
                "reason": c.reason,
                "changed_at": c.changed_at,
            }
            for c in changes
        ],
    )


async def get_history(session: AsyncSession, order_id: uuid.UUID) -> list[StatusChange]:
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


async def log_step(
    session: AsyncSession,
    order_id: uuid.UUID,
    *,
    step: str,
    state: str,
    started_at: datetime,
    finished_at: datetime | None,
    owner: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    duration = (
        Decimal(str(round((finished_at - started_at).total_seconds() * 1000, 3)))
        if finished_at is not None
        else None
    )
    await session.execute(
        saga_log.insert().values(
            order_id=order_id,
            step=step,
            state=state,
            detail=detail,
            owner=owner,
            started_at=started_at,
            finished_at=finished_at,
            duration_ms=duration,
        )
    )


async def saga_steps(session: AsyncSession, order_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(saga_log).where(saga_log.c.order_id == order_id).order_by(saga_log.c.id)
        )
    ).mappings()
    return [dict(r) for r in rows]


async def assign_order_number(session: AsyncSession, order_id: uuid.UUID, year: int) -> str:
    """Draw the next number of `year` and write it on the order, in one statement.

    The counter row stays locked until the transaction ends, so confirmations serialize
    here (take it last); a rollback gives the number back, so numbers have no gaps.
    """
    result = await session.execute(
        text(
            """
            WITH drawn AS (
                INSERT INTO order_number_counters (year, value) VALUES (:year, 1)
                ON CONFLICT (year) DO UPDATE SET value = order_number_counters.value + 1
                RETURNING value
            )
            UPDATE orders SET number = :prefix || CASE
                WHEN drawn.value >= 1000000 THEN drawn.value::text  -- lpad would truncate
                ELSE lpad(drawn.value::text, 6, '0') END
            FROM drawn WHERE orders.id = :order_id
            RETURNING orders.number
            """
        ),
        {"year": year, "prefix": f"{NUMBER_PREFIX}-{year}-", "order_id": order_id},
    )
    return str(result.scalar_one())


async def next_order_number(session: AsyncSession, year: int) -> int:
    """The next number of `year` (quote requests: drawn before their row is inserted)."""
    first = insert(order_number_counters).values(year=year, value=1)
    bump = first.on_conflict_do_update(
        index_elements=["year"], set_={"value": order_number_counters.c.value + 1}
    ).returning(order_number_counters.c.value)
    return int((await session.execute(bump)).scalar_one())


# -- saga ownership ------------------------------------------------------------------------
async def heartbeat(session: AsyncSession, instance_id: str, at: datetime) -> None:
    stmt = insert(saga_instances).values(id=instance_id, heartbeat_at=at)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["id"], set_={"heartbeat_at": at})
    )


async def orphaned_sagas(
    session: AsyncSession,
    *,
    now: datetime,
    instance_timeout: timedelta,
    max_age: timedelta,
    limit: int = 100,
) -> list[tuple[uuid.UUID, str | None]]:
    """Open sagas whose owner is gone: none, an instance whose heartbeat stopped, or a
    saga idle longer than any live saga can be (its owner lost track of it)."""
    live = select(saga_instances.c.id).where(
        saga_instances.c.heartbeat_at >= now - instance_timeout
    )
    stmt = (
        select(orders.c.id, orders.c.saga_owner)
        .where(orders.c.placement.in_([Placement.PENDING.value, Placement.COMPENSATING.value]))
        .where(
            or_(
                orders.c.saga_owner.is_(None),
                # A fresh saga of an instance whose first heartbeat is not written yet
                # must not look dead: only sagas idle for the timeout qualify.
                and_(
                    orders.c.saga_owner.not_in(live),
                    orders.c.updated_at < now - instance_timeout,
                ),
                orders.c.updated_at < now - max_age,
            )
        )
        .order_by(orders.c.created_at)
        .limit(limit)
    )
    return [(r[0], r[1]) for r in (await session.execute(stmt)).all()]


async def forget_dead_instances(session: AsyncSession, *, before: datetime) -> None:
    await session.execute(saga_instances.delete().where(saga_instances.c.heartbeat_at < before))
