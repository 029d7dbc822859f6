"""The shop sync's RPCs (TriggerWooSync, GetWooSyncStatus): request → wire → use case →
wire. The service's servicer inherits them (main.py)."""

from __future__ import annotations

from typing import Any

from cypher.integration.v1 import integration_pb2 as pb
from cypher_runtime.db import Database
from integration import wire as link_wire
from integration.shop import wire
from integration.shop.domain.runs import SyncMode
from integration.shop.service import ShopService
from integration.shop.sync import ShopSync
from integration.smartbill.guard import Guard

Context = Any


class ShopRpcs:
    """Mixed into the IntegrationService servicer; `bind_shop` gives it its parts."""

    shop_db: Database
    shop_service: ShopService
    shop_sync: ShopSync
    shop_guard: Guard

    def bind_shop(self, db: Database, service: ShopService, sync: ShopSync, guard: Guard) -> None:
        self.shop_db = db
        self.shop_service = service
        self.shop_sync = sync
        self.shop_guard = guard

    async def TriggerWooSync(
        self, request: pb.TriggerWooSyncRequest, context: Context
    ) -> pb.TriggerWooSyncResponse:
        mode = wire.mode_of(request.mode)
        if mode == SyncMode.INCREMENTAL:
            # Flush what is pending now, without waiting for the coalescing window.
            run = await self.shop_sync.flush(force=True)
            if run is None:
                run = await self.shop_sync.start(mode)
                await self.shop_sync.execute(run)
            return pb.TriggerWooSyncResponse(run=wire.run_pb(run))
        run = await self.shop_sync.start(mode)
        self.shop_sync.launch(run)
        return pb.TriggerWooSyncResponse(run=wire.run_pb(run))

    async def GetWooSyncStatus(
        self, request: pb.GetWooSyncStatusRequest, context: Context
    ) -> pb.GetWooSyncStatusResponse:
        async with self.shop_db.unit_of_work() as uow:
            status = await self.shop_service.status(uow)
        link = self.shop_guard.status()
        return pb.GetWooSyncStatusResponse(
            current_run=wire.run_pb(status.current_run),
            last_full_run=wire.run_pb(status.last_full),
            last_incremental_run=wire.run_pb(status.last_incremental),
            last_retry_run=wire.run_pb(status.last_retry),
            pending_items=status.pending_items,
            failed_items=status.failed_items,
            mapped_products=status.mapped_products,
            circuit_breaker=link_wire.breaker_pb(link),
            failures=[
                pb.WooSyncFailure(sku=sku, error=error, attempts=attempts)
                for sku, error, attempts in status.failures
            ],
        )
