"""Outbox and inbox tables (SQLAlchemy Core) and the write side of the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from cypher_runtime.context import current_actor, current_request_id
from cypher_runtime.tracing import current_traceparent

if TYPE_CHECKING:
    from cypher_runtime.messaging.envelope import Event

OUTBOX_CHANNEL = "cypher_outbox"

messaging_metadata = MetaData()

outbox = Table(
    "outbox",
    messaging_metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("aggregate_type", String(100), nullable=False),
    Column("aggregate_id", String(200), nullable=False),
    Column("aggregate_version", BigInteger, nullable=True),
    Column("payload", LargeBinary, nullable=False),
    Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text, nullable=True),
    Index(
        "ix_outbox_unpublished",
        "created_at",
        postgresql_where=text("published_at IS NULL"),
    ),
)

inbox = Table(
    "inbox",
    messaging_metadata,
    Column("consumer", String(200), nullable=False),
    Column("event_id", String(100), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
)

inbox_versions = Table(
    "inbox_versions",
    messaging_metadata,
    Column("consumer", String(200), nullable=False),
    Column("aggregate_type", String(100), nullable=False),
    Column("aggregate_id", String(200), nullable=False),
    Column("version", BigInteger, nullable=False),
    PrimaryKeyConstraint("consumer", "aggregate_type", "aggregate_id", name="pk_inbox_versions"),
)


async def write_outbox(session: AsyncSession, events: Sequence[Event]) -> None:
    """Insert events into the outbox inside the caller's transaction and wake the relay.

    NOTIFY is transactional: the relay hears it only once the transaction commits.
    """
    traceparent = current_traceparent()
    request_id = current_request_id()
    actor = current_actor()
    rows = []
    for event in events:
        headers: dict[str, str] = {"x-actor": actor}
        if traceparent:
            headers["traceparent"] = traceparent
        if request_id:
            headers["x-request-id"] = request_id
        rows.append(
            {
                "id": event.id,
                "event_type": event.type,
                "aggregate_type": event.aggregate_type,
                "aggregate_id": event.aggregate_id,
                "aggregate_version": event.version,
                "payload": event.message.SerializeToString(),
                "headers": headers,
                "occurred_at": event.occurred_at,
            }
        )
    await session.execute(outbox.insert(), rows)
    await session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
