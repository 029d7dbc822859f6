"""Tables of the quotations service and the `Quotations` repository.

A quotation is one row; its priced lines and customer snapshot are JSONB inside it
(always read and written whole, under a row lock), with a GIN index on the lines for
the `sku` filter. The per-year number counters and the PDFs as sent are tables of
their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Text,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.engine import RowMapping

from cypher_runtime.db import UnitOfWork
from quotations.domain.model import Address, CustomerSnapshot, LinePrice, Quotation, Status
from quotations.domain.numbering import quotation_number
from quotations.domain.timeline import ReminderPlan
from quotations.errors import VersionConflict

metadata = MetaData()

quotations = Table(
    "quotations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", Text, nullable=False, unique=True),
    Column("customer_id", UUID(as_uuid=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("customer", JSONB, nullable=False),
    Column("lines", JSONB, nullable=False),
    Column("currency", Text, nullable=False),
    Column("pricing_date", Text, nullable=False),
    Column("net", Numeric(18, 2), nullable=False),
    Column("vat", Numeric(18, 2), nullable=False),
    Column("gross", Numeric(18, 2), nullable=False),
    Column("notes", Text, nullable=False, server_default=""),
    Column("recipient_email", Text, nullable=False, server_default=""),
    Column("send_message", Text, nullable=False, server_default=""),
    Column("source_order_id", UUID(as_uuid=True), nullable=True, unique=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("valid_until", DateTime(timezone=True), nullable=True),
    # Reminder offsets fixed at sending, and those handled, in seconds before expiry.
    Column("reminder_offsets", JSONB, nullable=False, server_default="[]"),
    Column("reminders_handled", JSONB, nullable=False, server_default="[]"),
    Column("next_reminder_at", DateTime(timezone=True), nullable=True),
    Column("accepted_at", DateTime(timezone=True), nullable=True),
    Column("rejected_at", DateTime(timezone=True), nullable=True),
    Column("rejection_reason", Text, nullable=False, server_default=""),
    Column("expired_at", DateTime(timezone=True), nullable=True),
    Column("order_id", UUID(as_uuid=True), nullable=True),
    Column("order_number", Text, nullable=False, server_default=""),
    Column("converted_at", DateTime(timezone=True), nullable=True),
    Column("idempotency_key", Text, nullable=True, unique=True),
    Column("request_hash", Text, nullable=False, server_default=""),
    Column("version", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_quotations_created", "created_at", "id"),
    Index("ix_quotations_customer_created", "customer_id", "created_at", "id"),
    Index("ix_quotations_status_created", "status", "created_at", "id"),
    Index(
        "ix_quotations_sent_valid_until",
        "valid_until",
        postgresql_where="status = 'SENT'",
    ),
    Index(
        "ix_quotations_next_reminder",
        "next_reminder_at",
        postgresql_where="status = 'SENT' AND next_reminder_at IS NOT NULL",
    ),
    Index(
        "ix_quotations_lines",
        "lines",
        postgresql_using="gin",
        postgresql_ops={"lines": "jsonb_path_ops"},
    ),
)

quotation_number_counters = Table(
    "quotation_number_counters",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

quotation_documents = Table(
    "quotation_documents",
    metadata,
    Column(
        "quotation_id",
        UUID(as_uuid=True),
        ForeignKey("quotations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("filename", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


# -- row <-> domain -------------------------------------------------------------------------
_DECIMALS = (
    "unit_cost",
    "list_price",
    "tier_discount_pct",
    "volume_discount_pct",
    "promotion_discount_pct",
    "unit_net",
    "vat_rate",
    "unit_gross",
    "line_net",
    "line_vat",
    "line_gross",
    "margin_pct",
)


def line_json(line: LinePrice) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(line).items()}


def line_from_json(data: Mapping[str, Any]) -> LinePrice:
    values = dict(data)
    for key in _DECIMALS:
        values[key] = Decimal(str(values[key]))
    values["quantity"] = int(values["quantity"])
    values["margin_floor_applied"] = bool(values["margin_floor_applied"])
    return LinePrice(**values)


def customer_json(customer: CustomerSnapshot) -> dict[str, Any]:
    return asdict(customer)


def customer_from_json(data: Mapping[str, Any]) -> CustomerSnapshot:
    values = dict(data)
    values["address"] = Address(**dict(values.get("address") or {}))
    return CustomerSnapshot(**values)


def _seconds(offsets: Sequence[timedelta]) -> list[int]:
    return [int(o.total_seconds()) for o in offsets]


def _offsets(seconds: Sequence[int]) -> tuple[timedelta, ...]:
    return tuple(timedelta(seconds=int(s)) for s in seconds)


def row_values(q: Quotation) -> dict[str, Any]:
    totals = q.totals
    plan = q.reminder_plan
    return {
        "number": q.number,
        "customer_id": q.customer_id,
        "status": q.status.value,
        "customer": customer_json(q.customer),
        "lines": [line_json(ln) for ln in q.lines],
        "currency": q.currency,
        "pricing_date": q.pricing_date,
        "net": totals.net,
        "vat": totals.vat,
        "gross": totals.gross,
        "notes": q.notes,
        "recipient_email": q.recipient_email,
        "send_message": q.send_message,
        "source_order_id": q.source_order_id,
        "sent_at": q.sent_at,
        "valid_until": q.valid_until,
        "reminder_offsets": _seconds(plan.offsets) if plan else [],
        "reminders_handled": _seconds(plan.handled) if plan else [],
        "next_reminder_at": q.next_reminder_at,
        "accepted_at": q.accepted_at,
        "rejected_at": q.rejected_at,
        "rejection_reason": q.rejection_reason,
        "expired_at": q.expired_at,
        "order_id": q.order_id,
        "order_number": q.order_number,
        "converted_at": q.converted_at,
        "version": q.version,
        "created_at": q.created_at,
        "updated_at": q.updated_at,
    }


def quotation_from_row(row: RowMapping) -> Quotation:
    valid_until: datetime | None = row["valid_until"]
    plan = (
        ReminderPlan(
            valid_until=valid_until,
            offsets=_offsets(row["reminder_offsets"]),
            handled=_offsets(row["reminders_handled"]),
        )
        if valid_until is not None
        else None
    )
    return Quotation(
        id=row["id"],
        number=row["number"],
        customer_id=row["customer_id"],
        customer=customer_from_json(row["customer"]),
        lines=[line_from_json(ln) for ln in row["lines"]],
        currency=row["currency"],
        pricing_date=row["pricing_date"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        status=Status(row["status"]),
        notes=row["notes"],
        recipient_email=row["recipient_email"],
        source_order_id=row["source_order_id"],
        sent_at=row["sent_at"],
        valid_until=valid_until,
        send_message=row["send_message"],
        reminder_plan=plan,
        accepted_at=row["accepted_at"],
        rejected_at=row["rejected_at"],
        rejection_reason=row["rejection_reason"],
        expired_at=row["expired_at"],
        order_id=row["order_id"],
        order_number=row["order_number"],
        converted_at=row["converted_at"],
        version=int(row["version"]),
    )


class Quotations:
    """The quotation repository over one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def get(self, quotation_id: uuid.UUID, *, for_update: bool = False) -> Quotation | None:
        stmt = select(quotations).where(quotations.c.id == quotation_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).mappings().first()
        return quotation_from_row(row) if row is not None else None

    async def find_by_key(self, key: str) -> tuple[Quotation, str] | None:
        """The quotation created with this idempotency key and its request hash."""
        row = (
            (
                await self.session.execute(
                    select(quotations).where(quotations.c.idempotency_key == key)
                )
            )
            .mappings()
            .first()
        )
        return (quotation_from_row(row), str(row["request_hash"])) if row is not None else None

    async def find_by_source_order(self, order_id: uuid.UUID) -> Quotation | None:
        row = (
            (
                await self.session.execute(
                    select(quotations).where(quotations.c.source_order_id == order_id)
                )
            )
            .mappings()
            .first()
        )
        return quotation_from_row(row) if row is not None else None

    async def lock_numbering(self, year: int) -> None:
        """Take the year's counter row lock before anything else of a creation, so
        concurrent creations queue here (and a replay check after it sees every
        quotation committed before)."""
        await self.session.execute(
            insert(quotation_number_counters)
            .values(year=year, value=0)
            .on_conflict_do_nothing(index_elements=["year"])
        )
        await self.session.execute(
            select(quotation_number_counters.c.value)
            .where(quotation_number_counters.c.year == year)
            .with_for_update()
        )

    async def next_number(self, year: int) -> str:
        """Draw the next number of `year` in this transaction. The counter row stays
        locked until commit and a rollback gives the number back: no gaps, no doubles."""
        value = (
            await self.session.execute(
                quotation_number_counters.update()
                .where(quotation_number_counters.c.year == year)
                .values(value=quotation_number_counters.c.value + 1)
                .returning(quotation_number_counters.c.value)
            )
        ).scalar_one()
        return quotation_number(year, int(value))

    async def add(self, q: Quotation, *, idempotency_key: str = "", request_hash: str = "") -> None:
        await self.session.execute(
            quotations.insert().values(
                id=q.id,
                idempotency_key=idempotency_key or None,
                request_hash=request_hash,
                **row_values(q),
            )
        )

    async def save(self, q: Quotation, *, loaded_version: int) -> None:
        """Write the aggregate back; refused when someone else changed it meanwhile."""
        result: Any = await self.session.execute(
            quotations.update()
            .where(quotations.c.id == q.id, quotations.c.version == loaded_version)
            .values(**row_values(q))
        )
        if result.rowcount != 1:
            raise VersionConflict(
                f"quotation {q.id} changed meanwhile; reload and retry",
                details={"quotation_id": str(q.id), "expected_version": loaded_version},
            )

    async def claim_expired(self, now: datetime, limit: int) -> list[Quotation]:
        """SENT quotations past their validity, locked; rows another replica holds are
        skipped, so each expiry is done by exactly one."""
        stmt = (
            select(quotations)
            .where(quotations.c.status == Status.SENT.value, quotations.c.valid_until <= now)
            .order_by(quotations.c.valid_until)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [quotation_from_row(r) for r in (await self.session.execute(stmt)).mappings()]

    async def claim_reminders(self, now: datetime, limit: int) -> list[Quotation]:
        stmt = (
            select(quotations)
            .where(
                quotations.c.status == Status.SENT.value,
                quotations.c.next_reminder_at <= now,
            )
            .order_by(quotations.c.next_reminder_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [quotation_from_row(r) for r in (await self.session.execute(stmt)).mappings()]

    # -- documents --------------------------------------------------------------------------
    async def store_document(
        self, quotation_id: uuid.UUID, filename: str, content: bytes, at: datetime
    ) -> None:
        stmt = insert(quotation_documents).values(
            quotation_id=quotation_id, filename=filename, content=content, created_at=at
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["quotation_id"],
                set_={"filename": filename, "content": content, "created_at": at},
            )
        )

    async def document(self, quotation_id: uuid.UUID) -> tuple[str, bytes] | None:
        row = (
            await self.session.execute(
                select(quotation_documents.c.filename, quotation_documents.c.content).where(
                    quotation_documents.c.quotation_id == quotation_id
                )
            )
        ).first()
        return (str(row[0]), bytes(row[1])) if row is not None else None
