"""Scheduled work: the reservation expiry job.

Safe on every replica: each due reservation is claimed with `FOR UPDATE SKIP LOCKED`
and released in its own short transaction (its skus locked in order), so the job never
holds locks in two orders at once and two replicas never release the same one."""

from __future__ import annotations

import asyncio
import logging

from cypher_runtime.db import Database, in_transaction
from inventory.service import InventoryService

log = logging.getLogger(__name__)


class ReservationExpiry:
    def __init__(
        self, db: Database, service: InventoryService, *, batch: int = 100, interval: float = 5.0
    ) -> None:
        self.db = db
        self.service = service
        self.batch = batch
        self.interval = interval

    async def expire_due(self, batch: int) -> int:
        """Release up to `batch` due reservations, one transaction each; how many."""
        expired = 0
        while expired < batch and await in_transaction(
            self.db, self.service.reservations.expire_next
        ):
            expired += 1
        return expired

    async def run(self) -> None:
        while True:
            expired = await self.expire_due(self.batch)
            if expired:
                log.info("reservations expired", extra={"count": expired})
            if expired < self.batch:
                await asyncio.sleep(self.interval)
