"""Webhook tables and their repositories: endpoints, deliveries (unique per endpoint and
event, so a redelivered event never yields a second delivery), the dispatcher's claims
(FOR UPDATE SKIP LOCKED with a lease on `next_attempt_at`) and the customer → sku table
learned from confirmed orders.

The signing secret is stored as given: it must be usable to sign (a hash would not do),
and encrypting it with a key held by the same process that reads this database would
protect only a database dump taken without the service's environment. The table is
the integration service's alone (no other service or report reads it) and the secret
never leaves the service except once, in the create answer."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert

from cypher_runtime.db import UnitOfWork
from integration.webhooks.domain.hooks import Delivery, DeliveryStatus, Endpoint

metadata = MetaData()
TZ = DateTime(timezone=True)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("event_types", ARRAY(Text), nullable=False),
    Column("secret", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("description", Text, nullable=False),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("endpoint_id", UUID(as_uuid=True), ForeignKey("webhook_endpoints.id")),
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_status_code", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("next_attempt_at", TZ, nullable=True),
    Column("created_at", TZ, nullable=False),
    Column("delivered_at", TZ, nullable=True),
)

webhook_customer_skus = Table(
    "webhook_customer_skus",
    metadata,
    Column("sku", Text, primary_key=True),
    Column("customer_id", Text, primary_key=True),
    Column("first_seen_at", TZ, nullable=False),
)


def endpoint_of(row: Any) -> Endpoint:
    return Endpoint(
        id=row.id,
        customer_id=row.customer_id,
        url=row.url,
        event_types=tuple(row.event_types),
        secret=row.secret,
        active=bool(row.active),
        created_at=row.created_at,
        description=row.description,
    )


def delivery_of(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_id=row.event_id,
        event_type=row.event_type,
        customer_id=row.customer_id,
        payload=dict(row.payload),
        created_at=row.created_at,
        status=DeliveryStatus(row.status),
        attempts=int(row.attempts),
        last_status_code=int(row.last_status_code),
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
    )


def _owned(query: Any, table: Table, owner: str) -> Any:
    return query.where(table.c.customer_id == owner) if owner else query


class Endpoints:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def add(self, e: Endpoint) -> None:
        await self.uow.session.execute(
            insert(webhook_endpoints).values(
                id=e.id,
                customer_id=e.customer_id,
                url=e.url,
                event_types=list(e.event_types),
                secret=e.secret,
                active=e.active,
                description=e.description,
                created_at=e.created_at,
                updated_at=e.created_at,
            )
        )

    async def get(self, endpoint_id: uuid.UUID, owner: str = "") -> Endpoint | None:
        q = _owned(
            select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id),
            webhook_endpoints,
            owner,
        )
        row = (await self.uow.session.execute(q)).first()
        return None if row is None else endpoint_of(row)

    async def save(self, e: Endpoint, now: datetime) -> None:
        await self.uow.session.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.id == e.id)
            .values(
                url=e.url,
                event_types=list(e.event_types),
                active=e.active,
                description=e.description,
                updated_at=now,
            )
        )

    async def remove(self, endpoint_id: uuid.UUID) -> None:
        await self.uow.session.execute(
            delete(webhook_deliveries).where(webhook_deliveries.c.endpoint_id == endpoint_id)
        )
        await self.uow.session.execute(
            delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
        )

    async def page(self, owner: str, limit: int, after: tuple[str, str] | None) -> list[Endpoint]:
        t = webhook_endpoints
        q = _owned(select(t), t, owner)
        if after is not None:
            at, last_id = datetime.fromisoformat(after[0]), uuid.UUID(after[1])
            q = q.where(or_(t.c.created_at < at, and_(t.c.created_at == at, t.c.id < last_id)))
        q = q.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit + 1)
        return [endpoint_of(r) for r in (await self.uow.session.execute(q)).all()]

    async def subscribed(self, event_type: str) -> list[Endpoint]:
        t = webhook_endpoints
        q = select(t).where(t.c.active.is_(True)).where(t.c.event_types.any(event_type))
        return [endpoint_of(r) for r in (await self.uow.session.execute(q)).all()]

    async def secrets(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Endpoint]:
        t = webhook_endpoints
        rows = (await self.uow.session.execute(select(t).where(t.c.id.in_(list(ids))))).all()
        return {r.id: endpoint_of(r) for r in rows}


class Deliveries:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def add(self, d: Delivery) -> bool:
        stmt = (
            insert(webhook_deliveries)
            .values(
                id=d.id,
                endpoint_id=d.endpoint_id,
                event_id=d.event_id,
                event_type=d.event_type,
                customer_id=d.customer_id,
                payload=d.payload,
                status=d.status.value,
                attempts=d.attempts,
                last_status_code=d.last_status_code,
                last_error=d.last_error,
                next_attempt_at=d.next_attempt_at,
                created_at=d.created_at,
                delivered_at=d.delivered_at,
            )
            .on_conflict_do_nothing(constraint="webhook_deliveries_once")
        )
        result = await self.uow.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
        t = webhook_deliveries
        inner = (
            select(t.c.id)
            .where(t.c.status == DeliveryStatus.PENDING.value)
            .where(t.c.next_attempt_at <= now)
            .order_by(t.c.next_attempt_at, t.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(t)
            .where(t.c.id.in_(inner.scalar_subquery()))
            .values(next_attempt_at=now + lease)
            .returning(*t.c)
        )
        rows = (await self.uow.session.execute(stmt)).all()
        return sorted((delivery_of(r) for r in rows), key=lambda d: d.created_at)

    async def save(self, d: Delivery) -> None:
        t = webhook_deliveries
        await self.uow.session.execute(
            update(t)
            .where(t.c.id == d.id)
            .values(
                status=d.status.value,
                attempts=d.attempts,
                last_status_code=d.last_status_code,
                last_error=d.last_error,
                next_attempt_at=d.next_attempt_at,
                delivered_at=d.delivered_at,
            )
        )

    async def get(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> Delivery | None:
        t = webhook_deliveries
        q = select(t).where(t.c.id == delivery_id).where(t.c.endpoint_id == endpoint_id)
        row = (await self.uow.session.execute(q)).first()
        return None if row is None else delivery_of(row)

    async def page(
        self,
        endpoint_id: uuid.UUID,
        status: str,
        limit: int,
        after: tuple[str, str] | None,
    ) -> list[Delivery]:
        t = webhook_deliveries
        q = select(t).where(t.c.endpoint_id == endpoint_id)
        if status:
            q = q.where(t.c.status == status)
        if after is not None:
            at, last_id = datetime.fromisoformat(after[0]), uuid.UUID(after[1])
            q = q.where(or_(t.c.created_at < at, and_(t.c.created_at == at, t.c.id < last_id)))
        q = q.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit + 1)
        return [delivery_of(r) for r in (await self.uow.session.execute(q)).all()]


class CustomerSkus:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def learn(self, customer_id: str, skus: Iterable[str], now: datetime) -> None:
        rows = [{"sku": s, "customer_id": customer_id, "first_seen_at": now} for s in set(skus)]
        if customer_id and rows:
            await self.uow.session.execute(
                insert(webhook_customer_skus).values(rows).on_conflict_do_nothing()
            )

    async def buyers(self, sku: str) -> frozenset[str]:
        t = webhook_customer_skus
        rows = await self.uow.session.execute(select(t.c.customer_id).where(t.c.sku == sku))
        return frozenset(r[0] for r in rows)
