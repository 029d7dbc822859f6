"""Scheduled shop work: the incremental flusher (a short tick) and the daily runs —
full sync at 03:00 UTC, retry of failed items at 12:00 UTC (both configurable).

Several replicas may run both. The flusher's items are leased per replica (SKIP
LOCKED). A daily run starts only if no run of its mode started since its scheduled
time, and at most one full/retry run is RUNNING (a unique index), so the schedule fires
once per day whatever the number of replicas."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, in_transaction
from integration.shop.db import SyncRuns
from integration.shop.domain.runs import SyncMode
from integration.shop.domain.schedule import next_daily
from integration.shop.errors import SyncInProgress
from integration.shop.sync import ShopSync
from integration.smartbill.guard import Guard

log = logging.getLogger(__name__)


class Flusher:
    def __init__(self, sync: ShopSync, guard: Guard, *, tick_seconds: float) -> None:
        self.sync = sync
        self.guard = guard
        self.tick = tick_seconds

    async def run(self) -> None:
        while True:
            try:
                # While the circuit is open nothing is tried: the items wait, PENDING.
                if self.guard.ready():
                    await self.sync.flush()
            except Exception:
                log.exception("WooCommerce flush failed")
            await asyncio.sleep(self.tick)


class DailyRuns:
    def __init__(
        self, db: Database, sync: ShopSync, clock: Clock, schedule: dict[SyncMode, time]
    ) -> None:
        self.db = db
        self.sync = sync
        self.clock = clock
        self.schedule = schedule

    async def run(self) -> None:
        while True:
            now = self.clock.now()
            due = {mode: next_daily(at, now) for mode, at in self.schedule.items()}
            mode = min(due, key=lambda m: due[m])
            await asyncio.sleep(max((due[mode] - self.clock.now()).total_seconds(), 0.0))
            await self.fire(mode, due[mode])

    async def fire(self, mode: SyncMode, scheduled: datetime) -> None:
        last = await in_transaction(self.db, lambda uow: SyncRuns(uow).last(mode))
        if last is not None and last.started_at >= scheduled:
            return  # another replica ran it
        try:
            run = await self.sync.start(mode)
        except SyncInProgress:
            return
        await self.sync.execute(run)
