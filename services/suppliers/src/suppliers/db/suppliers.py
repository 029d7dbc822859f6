"""The Suppliers repository: supplier rows <-> `Supplier`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from cypher_runtime.db import UnitOfWork
from suppliers.db.tables import suppliers as t
from suppliers.domain.supplier import FeedFormat, Supplier, SyncSchedule, SyncStatus
from suppliers.errors import DuplicateSupplier, SupplierNotFound, VersionConflict
from suppliers.feeds.fetch import Validators


def _schedule(raw: dict[str, Any]) -> SyncSchedule:
    return SyncSchedule(
        interval_minutes=int(raw["interval_minutes"]),
        window_start_hour=int(raw["window_start_hour"]),
        window_end_hour=int(raw["window_end_hour"]),
        enabled=bool(raw.get("enabled", True)),
    )


def supplier_of(row: sa.Row[Any]) -> Supplier:
    m = row._mapping
    return Supplier(
        id=m["id"],
        name=m["name"],
        feed_format=FeedFormat(m["feed_format"]),
        feed_url=m["feed_url"],
        feed_config=dict(m["feed_config"]),
        active=m["active"],
        currency=m["currency"],
        contact_email=m["contact_email"],
        schedule=_schedule(m["schedule"]),
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        last_sync_at=m["last_sync_at"],
        last_sync_status=SyncStatus(m["last_sync_status"]) if m["last_sync_status"] else None,
    )


def _values(s: Supplier) -> dict[str, Any]:
    return {
        "name": s.name,
        "feed_format": s.feed_format.value,
        "feed_url": s.feed_url,
        "feed_config": s.feed_config,
        "active": s.active,
        "currency": s.currency,
        "contact_email": s.contact_email,
        "schedule": {
            "interval_minutes": s.schedule.interval_minutes,
            "window_start_hour": s.schedule.window_start_hour,
            "window_end_hour": s.schedule.window_end_hour,
            "enabled": s.schedule.enabled,
        },
        "version": s.version,
        "updated_at": s.updated_at,
    }


class Suppliers:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def get(self, supplier_id: str, *, for_update: bool = False) -> Supplier:
        stmt = sa.select(t).where(t.c.id == supplier_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).first()
        if row is None:
            raise SupplierNotFound(f"no supplier {supplier_id}", details={"id": supplier_id})
        return supplier_of(row)

    async def names(self, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = await self.session.execute(sa.select(t.c.id, t.c.name).where(t.c.id.in_(ids)))
        return {r.id: r.name for r in rows}

    async def add(self, supplier: Supplier) -> None:
        try:
            async with self.session.begin_nested():
                await self.session.execute(
                    sa.insert(t).values(
                        id=supplier.id, created_at=supplier.created_at, **_values(supplier)
                    )
                )
        except IntegrityError:
            raise DuplicateSupplier(
                f"a supplier named {supplier.name!r} exists", details={"name": supplier.name}
            ) from None

    async def save(self, supplier: Supplier) -> None:
        """Write a changed supplier if nobody changed it meanwhile (version - 1 stored)."""
        try:
            async with self.session.begin_nested():
                result = await self.session.execute(
                    sa.update(t)
                    .where(t.c.id == supplier.id, t.c.version == supplier.version - 1)
                    .values(**_values(supplier))
                )
        except IntegrityError:
            raise DuplicateSupplier(
                f"a supplier named {supplier.name!r} exists", details={"name": supplier.name}
            ) from None
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise VersionConflict(f"supplier {supplier.id} changed meanwhile")

    async def active(self) -> list[Supplier]:
        rows = await self.session.execute(sa.select(t).where(t.c.active).order_by(t.c.name))
        return [supplier_of(r) for r in rows]

    async def validators(self, supplier_id: str) -> Validators:
        row = (
            await self.session.execute(
                sa.select(t.c.feed_etag, t.c.feed_last_modified).where(t.c.id == supplier_id)
            )
        ).first()
        if row is None:
            return Validators()
        return Validators(row.feed_etag, row.feed_last_modified)

    async def record_sync(
        self,
        supplier_id: str,
        *,
        at: datetime,
        status: SyncStatus,
        validators: Validators | None,
    ) -> None:
        """Sync bookkeeping: not a change of the supplier, so its version stays."""
        values: dict[str, Any] = {"last_sync_at": at, "last_sync_status": status.value}
        if validators is not None:
            values["feed_etag"] = (validators.etag or "")[:500] or None
            values["feed_last_modified"] = (validators.last_modified or "")[:100] or None
        await self.session.execute(sa.update(t).where(t.c.id == supplier_id).values(**values))
