"""What the placement saga keeps besides the order row: its step log (with timings),
saga ownership (compare-and-set of the owner, the owners' heartbeats) and the search
for sagas whose owner is gone; and the stored form of a saga's refusal."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from cypher_runtime.db import UnitOfWork
from orders.db.tables import orders, saga_instances, saga_log
from orders.domain.placement import OPEN_PLACEMENTS
from orders.errors import DomainError, ErrorKind, remote_error

_OPEN = [p.value for p in OPEN_PLACEMENTS]


def error_document(err: DomainError) -> dict[str, Any]:
    return {
        "code": err.code,
        "kind": err.kind.value,
        "message": err.message,
        "details": err.details,
    }


def error_from_document(doc: Mapping[str, Any]) -> DomainError:
    """The refusal a REJECTED placement stored, raised again for a repeat of its request."""
    return remote_error(
        str(doc.get("code", "PLACEMENT_FAILED")),
        ErrorKind(str(doc.get("kind", ErrorKind.PRECONDITION.value))),
        str(doc.get("message", "order placement failed")),
        dict(doc.get("details") or {}),
    )


class SagaStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def log_step(
        self,
        order_id: uuid.UUID,
        *,
        step: str,
        state: str,
        started_at: datetime,
        finished_at: datetime | None,
        owner: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        duration = (
            Decimal(str(round((finished_at - started_at).total_seconds() * 1000, 3)))
            if finished_at is not None
            else None
        )
        await self.session.execute(
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

    async def set_owner(
        self, order_id: uuid.UUID, *, expected: str | None, new: str | None
    ) -> bool:
        """Compare-and-set of an open saga's owner (claim it, or orphan it)."""
        cond = (
            orders.c.saga_owner.is_(None) if expected is None else orders.c.saga_owner == expected
        )
        result = await self.session.execute(
            update(orders)
            .where(orders.c.id == order_id, cond, orders.c.placement.in_(_OPEN))
            .values(saga_owner=new)
            .returning(orders.c.id)
        )
        return result.first() is not None

    async def heartbeat(self, instance_id: str, at: datetime) -> None:
        stmt = insert(saga_instances).values(id=instance_id, heartbeat_at=at)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["id"], set_={"heartbeat_at": at})
        )

    async def orphaned(
        self,
        *,
        now: datetime,
        instance_timeout: timedelta,
        max_age: timedelta,
        limit: int = 100,
    ) -> list[tuple[uuid.UUID, str | None]]:
        """Open sagas whose owner is gone: none, an instance whose heartbeat stopped, or
        a saga idle longer than any live saga can be (its owner lost track of it)."""
        live = select(saga_instances.c.id).where(
            saga_instances.c.heartbeat_at >= now - instance_timeout
        )
        stmt = (
            select(orders.c.id, orders.c.saga_owner)
            .where(orders.c.placement.in_(_OPEN))
            .where(
                or_(
                    orders.c.saga_owner.is_(None),
                    # A fresh saga of an instance whose first heartbeat is not written
                    # yet must not look dead: only sagas idle for the timeout qualify.
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
        return [(r[0], r[1]) for r in (await self.session.execute(stmt)).all()]

    async def forget_dead_instances(self, *, before: datetime) -> None:
        await self.session.execute(
            saga_instances.delete().where(saga_instances.c.heartbeat_at < before)
        )
