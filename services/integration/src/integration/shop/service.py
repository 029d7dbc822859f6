"""Use cases of the shop sync that fit in one transaction: a change to push (from the
consumers) and the status screen. They take the caller's unit of work, never commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cypher_runtime.clock import Clock
from cypher_runtime.db import UnitOfWork
from integration.shop.db import FAILED, PENDING, ShopItems, SyncRuns
from integration.shop.domain.runs import SyncMode, SyncRun


@dataclass(frozen=True)
class SyncStatus:
    current_run: SyncRun | None
    last_full: SyncRun | None
    last_incremental: SyncRun | None
    last_retry: SyncRun | None
    pending_items: int
    failed_items: int
    mapped_products: int
    # The most recent failures: (sku, error, attempts).
    failures: list[tuple[str, str, int]]


class ShopService:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def changed(self, uow: UnitOfWork, skus: Iterable[str]) -> None:
        """Something the shop shows changed for these skus: push them (coalesced)."""
        wanted = [s.strip() for s in skus if s.strip()]
        await ShopItems(uow).mark_changed(wanted, self.clock.now())

    async def status(self, uow: UnitOfWork, *, failures: int = 20) -> SyncStatus:
        runs = SyncRuns(uow)
        items = ShopItems(uow)
        counts = await items.counts()
        current = await runs.running(SyncMode.FULL) or await runs.running(SyncMode.RETRY_FAILED)
        return SyncStatus(
            current_run=current,
            last_full=await runs.last_finished(SyncMode.FULL),
            last_incremental=await runs.last_finished(SyncMode.INCREMENTAL),
            last_retry=await runs.last_finished(SyncMode.RETRY_FAILED),
            pending_items=counts[PENDING],
            failed_items=counts[FAILED],
            mapped_products=counts["mapped"],
            failures=await items.failed(failures),
        )
