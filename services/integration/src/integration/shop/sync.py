"""The sync process: pushes what the shop must show, batch by batch, each batch in its
own transactions.

* Incremental: items made PENDING by `price.updated` / `inventory.stock_changed` are
  coalesced per sku (one row, whatever the number of changes) and flushed once no
  change came for `coalesce` seconds (or the oldest waited `coalesce_max`):
  everything pending then goes out in batches of at most 100.
* Full: every active product of the catalogue, page by page.
* Retry: every FAILED item (refused by the shop item by item).

Per batch: read the truth (pricing + inventory, `CatalogPort`), find unknown skus' shop
ids (looked up once by sku, then remembered), send one `POST /products/batch`, record
per item SYNCED / FAILED with its error. Crash guarantees: the items of a batch are
leased (`claimed_until`) before the push and recorded after it; a crash in between
leaves them PENDING or FAILED as before, and the lease runs out, so they are pushed
again (the push writes absolute values: repeating it is harmless). If the shop or the
catalogue is down the items stay PENDING (never FAILED, never lost) and go out when the
circuit closes again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, UnitOfWork, in_transaction
from integration.db.documents import record_run
from integration.shop import events
from integration.shop.client import ShopRefused, WooClient
from integration.shop.db import FAILED, PENDING, Claimed, Outcome, ShopItems, SyncRuns
from integration.shop.domain.runs import SyncMode, SyncRun, batches
from integration.shop.errors import SyncInProgress
from integration.shop.payloads import ItemResult, batch_results, create_item, update_item
from integration.shop.ports import CatalogPort, CatalogUnavailable
from integration.smartbill.outcomes import SmartBillError

log = logging.getLogger(__name__)

LINK_RUN = {
    SyncMode.FULL: "woocommerce_full",
    SyncMode.INCREMENTAL: "woocommerce_incremental",
    SyncMode.RETRY_FAILED: "woocommerce_retry",
}


@dataclass(frozen=True)
class SyncPolicy:
    batch_size: int = 100
    # Changes are flushed once none arrived for `coalesce` (a burst goes out whole),
    # but none waits longer than `coalesce_max`.
    coalesce: timedelta = timedelta(seconds=2)
    coalesce_max: timedelta = timedelta(seconds=10)
    lease: timedelta = timedelta(minutes=2)
    # How many items one incremental flush claims at once (then batches of batch_size).
    flush_limit: int = 1000
    create_missing: bool = True
    stale_run: timedelta = timedelta(minutes=10)


class ShopSync:
    def __init__(
        self,
        db: Database,
        catalog: CatalogPort,
        shop: WooClient,
        clock: Clock,
        policy: SyncPolicy,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.shop = shop
        self.clock = clock
        self.policy = policy
        self._background: set[asyncio.Task[SyncRun]] = set()

    # -- runs ----------------------------------------------------------------------------
    async def start(self, mode: SyncMode) -> SyncRun:
        """Records a RUNNING run; SyncInProgress if a full/retry run of that mode runs."""
        now = self.clock.now()
        run = SyncRun.start(mode, now)

        async def begin(uow: UnitOfWork) -> SyncRun:
            runs = SyncRuns(uow)
            await runs.abandon_stale(now, self.policy.stale_run)
            if not await runs.add(run, now):
                running = await runs.running(mode)
                raise SyncInProgress(mode.value, str(running.id) if running else "")
            return run

        return await in_transaction(self.db, begin)

    def launch(self, run: SyncRun) -> None:
        """Runs a started run in the background (a manual trigger answers at once)."""
        task = asyncio.create_task(self.execute(run), name=f"woo-{run.mode.value.lower()}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def stop(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    async def execute(self, run: SyncRun) -> SyncRun:
        try:
            if run.mode == SyncMode.FULL:
                await self._full(run)
            elif run.mode == SyncMode.RETRY_FAILED:
                await self._drain(run, FAILED)
            else:
                await self._drain(run, PENDING)
        except Exception as exc:
            log.exception("WooCommerce sync run crashed", extra={"run_id": str(run.id)})
            run.error = f"{type(exc).__name__}: {exc}"[:500]
            if not run.items_total:
                run.defer(0, run.error)
        await self._finish(run)
        return run

    async def run(self, mode: SyncMode) -> SyncRun:
        return await self.execute(await self.start(mode))

    async def flush(self, *, force: bool = False) -> SyncRun | None:
        """One incremental flush when the pending changes have settled (or now, when
        forced); None when there was nothing to do."""
        now = self.clock.now()
        if not force:
            window = await in_transaction(self.db, lambda uow: ShopItems(uow).pending_window(now))
            if window is None:
                return None
            oldest, newest = window
            settled = now - newest >= self.policy.coalesce
            if not settled and now - oldest < self.policy.coalesce_max:
                return None
        run = SyncRun.start(SyncMode.INCREMENTAL, now)
        claimed = await self._drain(run, PENDING, run_added=False)
        if not claimed:
            return None
        await self._finish(run)
        return run

    # -- the work ------------------------------------------------------------------------
    async def _full(self, run: SyncRun) -> None:
        cursor = ""
        while True:
            try:
                skus, cursor = await self.catalog.skus_page(cursor, self.policy.batch_size)
            except CatalogUnavailable as exc:
                run.error = str(exc)
                if not run.items_total:
                    run.defer(0, run.error)
                return
            if skus:
                claimed = await self._enlist(skus)
                await self._push(run, claimed)
            if not cursor:
                return

    async def _drain(self, run: SyncRun, state: str, *, run_added: bool = True) -> int:
        """Pushes every item in `state` (claimed `flush_limit` at a time)."""
        total = 0
        saved = False
        while True:
            # A retry run takes the items that had failed when it started, once.
            claimed = await self._claim(state, run.started_at if state == FAILED else None)
            if not claimed:
                break
            if not saved and not run_added:
                await self._add(run)
                saved = True
            total += len(claimed)
            for chunk in batches(claimed, self.policy.batch_size):
                await self._push(run, chunk)
            if run.items_deferred or len(claimed) < self.policy.flush_limit:
                break  # the shop is down: the rest waits for the circuit to close
        return total

    async def _enlist(self, skus: list[str]) -> list[Claimed]:
        now = self.clock.now()
        return await in_transaction(
            self.db, lambda uow: ShopItems(uow).enlist(skus, now, self.policy.lease)
        )

    async def _claim(self, state: str, failed_before: datetime | None) -> list[Claimed]:
        now = self.clock.now()
        return await in_transaction(
            self.db,
            lambda uow: ShopItems(uow).claim(
                state,
                now=now,
                lease=self.policy.lease,
                limit=self.policy.flush_limit,
                failed_before=failed_before,
            ),
        )

    async def _add(self, run: SyncRun) -> None:
        now = self.clock.now()
        await in_transaction(self.db, lambda uow: SyncRuns(uow).add(run, now))

    async def _push(self, run: SyncRun, claimed: Sequence[Claimed]) -> None:
        outcomes = await self._outcomes(claimed)
        deferred = [o for o in outcomes if o.deferred]
        failed = sum(1 for o in outcomes if o.error and not o.deferred)
        sent = len(outcomes) - len(deferred)
        if sent:
            run.count_batch(succeeded=sent - failed, failed=failed)
        if deferred:
            run.defer(len(deferred), deferred[0].error)
        now = self.clock.now()

        async def record(uow: UnitOfWork) -> None:
            await ShopItems(uow).record(outcomes, now)
            await SyncRuns(uow).save(run, now)

        await in_transaction(self.db, record)

    async def _outcomes(self, claimed: Sequence[Claimed]) -> list[Outcome]:
        def deferred(error: str) -> list[Outcome]:
            return [Outcome(c.sku, c.change_seq, None, error, deferred=True) for c in claimed]

        try:
            resolved = await self.catalog.resolve([c.sku for c in claimed])
        except CatalogUnavailable as exc:
            return deferred(str(exc))
        ids = {c.sku: c.woo_id for c in claimed if c.woo_id is not None}
        unknown = [c.sku for c in claimed if c.woo_id is None and c.sku in resolved.products]
        try:
            found = await self.shop.ids_by_sku(unknown) if unknown else {}
        except ShopRefused as exc:
            found, unknown_error = {}, exc.message
        except SmartBillError as exc:
            return deferred(exc.message)
        else:
            unknown_error = ""
        ids.update(found)

        outcomes: list[Outcome] = []
        creates: list[tuple[Claimed, dict[str, object]]] = []
        updates: list[tuple[Claimed, dict[str, object]]] = []
        for c in claimed:
            product = resolved.products.get(c.sku)
            woo_id = ids.get(c.sku)
            if product is None:
                error = resolved.errors.get(c.sku, "not in the catalogue")
                outcomes.append(Outcome(c.sku, c.change_seq, woo_id, error))
            elif woo_id is not None:
                updates.append((c, update_item(woo_id, product)))
            elif self.policy.create_missing and not unknown_error:
                creates.append((c, create_item(product)))
            else:
                error = unknown_error or "no product with this sku in the shop"
                outcomes.append(Outcome(c.sku, c.change_seq, None, error))
        if not creates and not updates:
            return outcomes
        try:
            body = await self.shop.batch(
                create=[item for _, item in creates], update=[item for _, item in updates]
            )
        except ShopRefused as exc:
            refused = [*creates, *updates]
            return outcomes + [
                Outcome(c.sku, c.change_seq, ids.get(c.sku), exc.message) for c, _ in refused
            ]
        except SmartBillError as exc:
            return outcomes + [
                Outcome(c.sku, c.change_seq, ids.get(c.sku), exc.message, deferred=True)
                for c, _ in [*creates, *updates]
            ]
        for group, key in ((creates, "create"), (updates, "update")):
            results = batch_results(body, key, len(group))
            for (c, _), result in zip(group, results, strict=True):
                outcomes.append(_outcome(c, result, ids.get(c.sku)))
        return outcomes

    async def _finish(self, run: SyncRun) -> None:
        now = self.clock.now()
        run.finish(now)
        ok = run.items_failed == 0 and run.items_deferred == 0

        async def finish(uow: UnitOfWork) -> None:
            await SyncRuns(uow).save(run, now)
            uow.publish(*events.published(run))
            await record_run(uow, LINK_RUN[run.mode], at=now, ok=ok, error=run.error)

        await in_transaction(self.db, finish)
        log.info(
            "WooCommerce sync run finished",
            extra={
                "run_id": str(run.id),
                "mode": run.mode.value,
                "status": run.status.value,
                "items": run.items_total,
                "failed": run.items_failed,
                "deferred": run.items_deferred,
                "batches": run.batches,
            },
        )


def _outcome(c: Claimed, result: ItemResult, known_id: int | None) -> Outcome:
    if not result.error:
        return Outcome(c.sku, c.change_seq, result.woo_id)
    if result.existing_id is not None:
        # The shop already holds the sku (created by an earlier, uncertain push or by
        # hand): remember its id and push again as an update.
        return Outcome(c.sku, c.change_seq, result.existing_id, result.error, deferred=True)
    return Outcome(c.sku, c.change_seq, known_id, result.error)
