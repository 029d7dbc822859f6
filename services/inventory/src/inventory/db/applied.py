"""Requests applied under an idempotency key (`applied_requests`).

`claim` inserts the key row first thing in the use case's transaction: a concurrent
request with the same key waits on that row until the first commits (then it finds the
row and replays) or rolls back (then it applies the request itself). The key row is the
first lock of its transaction and no other writer ever waits on it, so it adds no
deadlock to the service's locking rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from cypher_runtime.db import UnitOfWork
from inventory.db.stock import movement_of
from inventory.db.tables import applied_requests, movements
from inventory.domain.stock import Movement


@dataclass(frozen=True)
class Applied:
    kind: str
    fingerprint: str
    movement_ids: list[int]


class AppliedRequests:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def claim(self, key: str, kind: str, fingerprint: str, now: datetime) -> Applied | None:
        """None: the key is ours, apply the request; else what the first run applied."""
        inserted = await self.uow.session.execute(
            insert(applied_requests)
            .values(key=key, kind=kind, fingerprint=fingerprint, created_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(applied_requests.c.key)
        )
        if inserted.scalar_one_or_none() is not None:
            return None
        row = (
            await self.uow.session.execute(
                select(applied_requests).where(applied_requests.c.key == key)
            )
        ).one()
        return Applied(row.kind, row.fingerprint, [int(i) for i in row.movement_ids])

    async def record(self, key: str, moved: Sequence[Movement]) -> None:
        await self.uow.session.execute(
            update(applied_requests)
            .where(applied_requests.c.key == key)
            .values(movement_ids=[m.id for m in moved])
        )

    async def movements(self, ids: Sequence[int]) -> list[Movement]:
        rows = (
            await self.uow.session.execute(
                select(movements).where(movements.c.id.in_(list(ids))).order_by(movements.c.id)
            )
        ).all()
        by_id = {r.id: movement_of(r) for r in rows}
        return [by_id[i] for i in ids]
