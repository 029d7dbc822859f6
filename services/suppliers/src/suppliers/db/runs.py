"""The SyncRuns repository. Claims are single statements guarded by unique indexes: one
RUNNING run per supplier, one run per supplier and schedule slot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from cypher_runtime.db import UnitOfWork
from suppliers.db.tables import sync_runs as t
from suppliers.domain.supplier import SyncStatus
from suppliers.domain.sync import SyncRun, SyncTrigger


def run_of(row: sa.Row[Any]) -> SyncRun:
    m = row._mapping
    return SyncRun(
        id=m["id"],
        supplier_id=m["supplier_id"],
        status=SyncStatus(m["status"]),
        trigger=SyncTrigger(m["trigger"]),
        started_at=m["started_at"],
        slot=m["slot"],
        finished_at=m["finished_at"],
        items_seen=m["items_seen"],
        items_new=m["items_new"],
        items_changed=m["items_changed"],
        items_unmapped=m["items_unmapped"],
        error_count=m["error_count"],
        price_alerts_raised=m["price_alerts_raised"],
        errors=list(m["errors"]),
    )


def _values(run: SyncRun) -> dict[str, Any]:
    return {
        "status": run.status.value,
        "finished_at": run.finished_at,
        "items_seen": run.items_seen,
        "items_new": run.items_new,
        "items_changed": run.items_changed,
        "items_unmapped": run.items_unmapped,
        "error_count": run.error_count,
        "price_alerts_raised": run.price_alerts_raised,
        "errors": run.errors,
    }


class SyncRuns:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def running(self, supplier_id: str) -> SyncRun | None:
        row = (
            await self.session.execute(
                sa.select(t).where(t.c.supplier_id == supplier_id, t.c.status == "RUNNING")
            )
        ).first()
        return run_of(row) if row is not None else None

    async def claim(self, run: SyncRun) -> bool:
        """Insert the run unless the supplier has one RUNNING or (scheduled) one in
        the same slot; False when another replica or trigger got there first."""
        stmt = (
            insert(t)
            .values(
                id=run.id,
                supplier_id=run.supplier_id,
                trigger=run.trigger.value,
                slot=run.slot,
                started_at=run.started_at,
                **_values(run),
            )
            .on_conflict_do_nothing()
            .returning(t.c.id)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def save(self, run: SyncRun) -> None:
        await self.session.execute(sa.update(t).where(t.c.id == run.id).values(**_values(run)))

    async def get(self, run_id: str) -> SyncRun | None:
        row = (await self.session.execute(sa.select(t).where(t.c.id == run_id))).first()
        return run_of(row) if row is not None else None

    async def stale(self, started_before: datetime) -> list[SyncRun]:
        """RUNNING runs older than any run may live: their process died. Locked, skipping
        those another replica is closing."""
        rows = await self.session.execute(
            sa.select(t)
            .where(t.c.status == "RUNNING", t.c.started_at < started_before)
            .with_for_update(skip_locked=True)
        )
        return [run_of(r) for r in rows]
