"""Use cases of suppliers and their sync runs (each in the caller's unit of work)."""

from __future__ import annotations

import logging
from datetime import datetime

from cypher_runtime.db import UnitOfWork
from suppliers import events
from suppliers.domain.supplier import Supplier, SupplierDraft, SyncStatus, new_supplier
from suppliers.domain.sync import SyncRun, SyncTrigger
from suppliers.errors import SupplierInactive
from suppliers.feeds.fetch import Validators
from suppliers.service.policy import Context

log = logging.getLogger(__name__)


class SupplierUseCases:
    ctx: Context

    async def create_supplier(self, uow: UnitOfWork, draft: SupplierDraft) -> Supplier:
        supplier = new_supplier(
            self.ctx.new_id(), draft, self.ctx.clock.now(), self.ctx.policy.default_schedule
        )
        await self.ctx.stores(uow).suppliers.add(supplier)
        return supplier

    async def get_supplier(self, uow: UnitOfWork, supplier_id: str) -> Supplier:
        return await self.ctx.stores(uow).suppliers.get(supplier_id)

    async def update_supplier(
        self, uow: UnitOfWork, supplier_id: str, draft: SupplierDraft, expected_version: int
    ) -> Supplier:
        repo = self.ctx.stores(uow).suppliers
        current = await repo.get(supplier_id, for_update=True)
        updated = current.changed(draft, self.ctx.clock.now(), expected_version)
        await repo.save(updated)
        return updated

    async def start_run(
        self,
        uow: UnitOfWork,
        supplier_id: str,
        trigger: SyncTrigger,
        slot: datetime | None = None,
    ) -> tuple[SyncRun | None, bool]:
        """(the run, True) when this call started it; (the running one, False) when the
        supplier already has one; (None, False) when its schedule slot was taken."""
        stores = self.ctx.stores(uow)
        supplier = await stores.suppliers.get(supplier_id, for_update=True)
        if not supplier.active:
            raise SupplierInactive(
                f"supplier {supplier.name} is inactive", details={"supplier_id": supplier_id}
            )
        runs = stores.runs
        running = await runs.running(supplier_id)
        if running is not None:
            return running, False
        run = SyncRun(
            id=self.ctx.new_id(),
            supplier_id=supplier_id,
            status=SyncStatus.RUNNING,
            trigger=trigger,
            started_at=self.ctx.clock.now(),
            slot=slot,
        )
        if await runs.claim(run):
            return run, True
        return None, False

    async def finish_run(
        self, uow: UnitOfWork, run: SyncRun, *, failed: bool, validators: Validators | None
    ) -> SyncRun:
        now = self.ctx.clock.now()
        run.finish(now, failed=failed)
        stores = self.ctx.stores(uow)
        await stores.runs.save(run)
        await stores.suppliers.record_sync(
            run.supplier_id, at=now, status=run.status, validators=validators
        )
        uow.publish(events.sync_completed(run, now))
        return run

    async def abandon_stale_runs(self, uow: UnitOfWork, started_before: datetime) -> int:
        """Close runs whose process died mid-scrape, so the supplier can run again."""
        stale = await self.ctx.stores(uow).runs.stale(started_before)
        for run in stale:
            run.add_error("abandoned: the scrape did not finish in time (process stopped?)")
            await self.finish_run(uow, run, failed=True, validators=None)
            log.warning("sync run abandoned", extra={"sync_run_id": run.id})
        return len(stale)

    async def validators(self, uow: UnitOfWork, supplier_id: str) -> Validators:
        return await self.ctx.stores(uow).suppliers.validators(supplier_id)

    async def schedulable(self, uow: UnitOfWork) -> list[Supplier]:
        return await self.ctx.stores(uow).suppliers.active()
