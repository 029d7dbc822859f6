"""The shop sync's tables and repositories.

`shop_items` holds one row per sku the sync knows: its WooCommerce product id (looked
up by sku once, then remembered), whether it waits for a push (PENDING), went out
(SYNCED) or was refused by the shop (FAILED, for the retry run), and `change_seq`, a
counter bumped by every change. A push records its result only if `change_seq` is
still the one read before the push, so a change that arrives during a push is never
marked as synced by it. `claimed_until` is a short lease: replicas claim disjoint
items with FOR UPDATE SKIP LOCKED.

`shop_runs` holds the runs; one RUNNING full or retry run at a time (unique index).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.exc import IntegrityError

from cypher_runtime.db import UnitOfWork
from integration.shop.domain.runs import RunStatus, SyncMode, SyncRun

metadata = MetaData()
TZ = DateTime(timezone=True)

PENDING, SYNCED, FAILED = "PENDING", "SYNCED", "FAILED"

shop_items = Table(
    "shop_items",
    metadata,
    Column("sku", Text, primary_key=True),
    Column("woo_id", BigInteger, nullable=True),
    Column("state", Text, nullable=False),
    Column("change_seq", BigInteger, nullable=False, server_default=text("0")),
    Column("pending_since", TZ, nullable=True),
    Column("changed_at", TZ, nullable=True),
    Column("claimed_until", TZ, nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text, nullable=False, server_default=text("''")),
    Column("synced_at", TZ, nullable=True),
    Column("failed_at", TZ, nullable=True),
    Column("updated_at", TZ, nullable=False),
    Index("shop_items_pending", "pending_since", postgresql_where=text("state = 'PENDING'")),
    Index("shop_items_failed", "failed_at", postgresql_where=text("state = 'FAILED'")),
)

shop_runs = Table(
    "shop_runs",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("mode", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("started_at", TZ, nullable=False),
    Column("finished_at", TZ, nullable=True),
    Column("heartbeat_at", TZ, nullable=False),
    Column("items_total", Integer, nullable=False, server_default=text("0")),
    Column("items_succeeded", Integer, nullable=False, server_default=text("0")),
    Column("items_failed", Integer, nullable=False, server_default=text("0")),
    Column("items_deferred", Integer, nullable=False, server_default=text("0")),
    Column("batches", Integer, nullable=False, server_default=text("0")),
    Column("error", Text, nullable=False, server_default=text("''")),
    Index(
        "shop_runs_one_running",
        "mode",
        unique=True,
        postgresql_where=text("status = 'RUNNING' AND mode <> 'INCREMENTAL'"),
    ),
    Index("shop_runs_newest", "mode", "started_at"),
)


@dataclass(frozen=True)
class Claimed:
    sku: str
    change_seq: int
    woo_id: int | None


@dataclass(frozen=True)
class Outcome:
    """The result of pushing one sku: `error` empty = the shop took it."""

    sku: str
    change_seq: int
    woo_id: int | None
    error: str = ""
    # True when the item could not be tried (shop down): it stays PENDING.
    deferred: bool = False


class ShopItems:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def mark_changed(self, skus: Iterable[str], at: datetime) -> None:
        """A change to push: PENDING since the first unpushed change, seq bumped."""
        rows = [
            {
                "sku": sku,
                "state": PENDING,
                "change_seq": 1,
                "pending_since": at,
                "changed_at": at,
                "updated_at": at,
            }
            for sku in sorted(set(skus))
        ]
        if not rows:
            return
        stmt = insert(shop_items).values(rows)
        await self.uow.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[shop_items.c.sku],
                set_={
                    "state": PENDING,
                    "change_seq": shop_items.c.change_seq + 1,
                    "pending_since": func.coalesce(
                        shop_items.c.pending_since, stmt.excluded.pending_since
                    ),
                    "changed_at": stmt.excluded.changed_at,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
        )

    async def pending_window(self, now: datetime) -> tuple[datetime, datetime] | None:
        """When the oldest and the newest unclaimed pending change were made."""
        query = select(
            func.min(shop_items.c.pending_since), func.max(shop_items.c.changed_at)
        ).where(shop_items.c.state == PENDING, _unclaimed(now))
        oldest, newest = (await self.uow.session.execute(query)).one()
        if oldest is None:
            return None
        return oldest, newest or oldest

    async def claim(
        self,
        state: str,
        *,
        now: datetime,
        lease: timedelta,
        limit: int,
        failed_before: datetime | None = None,
    ) -> list[Claimed]:
        """Up to `limit` items in `state` no other replica holds, oldest first."""
        order = shop_items.c.pending_since if state == PENDING else shop_items.c.failed_at
        where = [shop_items.c.state == state, _unclaimed(now)]
        if failed_before is not None:
            where.append(shop_items.c.failed_at <= failed_before)
        inner = (
            select(shop_items.c.sku)
            .where(*where)
            .order_by(order, shop_items.c.sku)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(shop_items)
            .where(shop_items.c.sku.in_(inner.scalar_subquery()))
            .values(claimed_until=now + lease)
            .returning(shop_items.c.sku, shop_items.c.change_seq, shop_items.c.woo_id)
        )
        rows = (await self.uow.session.execute(stmt)).all()
        return sorted(
            (Claimed(r.sku, int(r.change_seq), r.woo_id) for r in rows), key=lambda c: c.sku
        )

    async def enlist(self, skus: Sequence[str], at: datetime, lease: timedelta) -> list[Claimed]:
        """The rows of the skus a full sync pushes (added when unknown), with their
        change counter and known shop id."""
        if skus:
            # Held by the run (a lease) so the incremental flusher leaves them alone;
            # a new sku is PENDING until its first push lands.
            stmt = insert(shop_items).values(
                [
                    {
                        "sku": s,
                        "state": PENDING,
                        "pending_since": at,
                        "claimed_until": at + lease,
                        "updated_at": at,
                    }
                    for s in skus
                ]
            )
            await self.uow.session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[shop_items.c.sku],
                    set_={"claimed_until": stmt.excluded.claimed_until},
                )
            )
        rows = (
            await self.uow.session.execute(
                select(shop_items.c.sku, shop_items.c.change_seq, shop_items.c.woo_id).where(
                    shop_items.c.sku.in_(list(skus))
                )
            )
        ).all()
        return sorted(
            (Claimed(r.sku, int(r.change_seq), r.woo_id) for r in rows), key=lambda c: c.sku
        )

    async def remember_ids(self, ids: dict[str, int], at: datetime) -> None:
        for sku, woo_id in ids.items():
            await self.uow.session.execute(
                update(shop_items)
                .where(shop_items.c.sku == sku)
                .values(woo_id=woo_id, updated_at=at)
            )

    async def record(self, outcomes: Sequence[Outcome], at: datetime) -> None:
        """Results of a push. An item changed since it was read stays PENDING (the
        new change goes out next); a deferred item stays PENDING as well."""
        for o in outcomes:
            base = shop_items.c.sku == o.sku
            values: dict[str, Any] = {"claimed_until": None, "updated_at": at}
            if o.woo_id is not None:
                values["woo_id"] = o.woo_id
            same = and_(base, shop_items.c.change_seq == o.change_seq)
            if o.deferred:
                values.update(
                    state=PENDING,
                    pending_since=func.coalesce(shop_items.c.pending_since, at),
                )
                await self.uow.session.execute(update(shop_items).where(same).values(values))
            elif o.error:
                values.update(
                    state=FAILED,
                    pending_since=None,
                    failed_at=at,
                    attempts=shop_items.c.attempts + 1,
                    last_error=o.error[:500],
                )
                await self.uow.session.execute(update(shop_items).where(same).values(values))
            else:
                values.update(
                    state=SYNCED, pending_since=None, synced_at=at, attempts=0, last_error=""
                )
                await self.uow.session.execute(update(shop_items).where(same).values(values))
            # Changed meanwhile: only drop the lease (and keep a found id).
            rest: dict[str, Any] = {"claimed_until": None}
            if o.woo_id is not None:
                rest["woo_id"] = o.woo_id
            await self.uow.session.execute(
                update(shop_items).where(base, shop_items.c.change_seq != o.change_seq).values(rest)
            )

    async def counts(self) -> dict[str, int]:
        rows = await self.uow.session.execute(
            select(shop_items.c.state, func.count(), func.count(shop_items.c.woo_id)).group_by(
                shop_items.c.state
            )
        )
        found = {PENDING: 0, SYNCED: 0, FAILED: 0, "mapped": 0}
        for state, count, mapped in rows:
            found[state] = int(count)
            found["mapped"] += int(mapped)
        return found

    async def failed(self, limit: int) -> list[tuple[str, str, int]]:
        rows = await self.uow.session.execute(
            select(shop_items.c.sku, shop_items.c.last_error, shop_items.c.attempts)
            .where(shop_items.c.state == FAILED)
            .order_by(shop_items.c.failed_at.desc(), shop_items.c.sku)
            .limit(limit)
        )
        return [(r.sku, r.last_error, int(r.attempts)) for r in rows]


def _unclaimed(now: datetime) -> Any:
    return or_(shop_items.c.claimed_until.is_(None), shop_items.c.claimed_until < now)


def _run_values(run: SyncRun, at: datetime) -> dict[str, Any]:
    return {
        "id": run.id,
        "mode": run.mode.value,
        "status": run.status.value,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "heartbeat_at": at,
        "items_total": run.items_total,
        "items_succeeded": run.items_succeeded,
        "items_failed": run.items_failed,
        "items_deferred": run.items_deferred,
        "batches": run.batches,
        "error": run.error[:500],
    }


def run_of(row: Any) -> SyncRun:
    return SyncRun(
        id=row.id,
        mode=SyncMode(row.mode),
        started_at=row.started_at,
        status=RunStatus(row.status),
        finished_at=row.finished_at,
        items_total=int(row.items_total),
        items_succeeded=int(row.items_succeeded),
        items_failed=int(row.items_failed),
        batches=int(row.batches),
        error=row.error,
        items_deferred=int(row.items_deferred),
    )


class SyncRuns:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def abandon_stale(self, now: datetime, stale_after: timedelta) -> None:
        """A run whose process died stops blocking its mode."""
        await self.uow.session.execute(
            update(shop_runs)
            .where(shop_runs.c.status == RunStatus.RUNNING.value)
            .where(shop_runs.c.heartbeat_at < now - stale_after)
            .values(status=RunStatus.FAILED.value, finished_at=now, error="abandoned")
        )

    async def add(self, run: SyncRun, at: datetime) -> bool:
        """False when a run of that mode is already RUNNING."""
        try:
            async with self.uow.session.begin_nested():
                await self.uow.session.execute(shop_runs.insert().values(_run_values(run, at)))
        except IntegrityError:
            return False
        return True

    async def save(self, run: SyncRun, at: datetime) -> None:
        values = _run_values(run, at)
        del values["id"]
        await self.uow.session.execute(
            update(shop_runs).where(shop_runs.c.id == run.id).values(values)
        )

    async def running(self, mode: SyncMode) -> SyncRun | None:
        row = (
            await self.uow.session.execute(
                select(shop_runs)
                .where(shop_runs.c.mode == mode.value, shop_runs.c.status == "RUNNING")
                .order_by(shop_runs.c.started_at.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else run_of(row)

    async def last(self, mode: SyncMode) -> SyncRun | None:
        row = (
            await self.uow.session.execute(
                select(shop_runs)
                .where(shop_runs.c.mode == mode.value)
                .order_by(shop_runs.c.started_at.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else run_of(row)

    async def get(self, run_id: uuid.UUID) -> SyncRun | None:
        row = (
            await self.uow.session.execute(select(shop_runs).where(shop_runs.c.id == run_id))
        ).first()
        return None if row is None else run_of(row)

    async def last_finished(self, mode: SyncMode) -> SyncRun | None:
        row = (
            await self.uow.session.execute(
                select(shop_runs)
                .where(shop_runs.c.mode == mode.value, shop_runs.c.status != "RUNNING")
                .order_by(shop_runs.c.started_at.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else run_of(row)
