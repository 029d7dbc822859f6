"""The scrape of one supplier (a sync run), across several transactions.

Steps: (1) claim the run in one transaction (`start_run`: the supplier row lock and the
unique indexes give one RUNNING run per supplier and one run per schedule slot, however
many replicas try); (2) fetch the pages outside any transaction, bounded in size and
time, with retries; (3) apply the items in batches, one transaction each; (4) finish the
run (counters, status, `supplier.sync_completed`) in one transaction.

Crash guarantees: a batch is committed together with its history, alerts and events, so
a crash leaves consistent prices; the run stays RUNNING until the scheduler closes it as
FAILED (older than the run deadline), and the next run re-reads the feed — unchanged
prices produce nothing, so nothing is announced twice. A failing supplier only fails its
own run: every run is its own task and every error is caught into the run's record.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from prometheus_client import Counter, Histogram

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, in_transaction
from suppliers.domain.feed import FeedItem
from suppliers.domain.supplier import Supplier
from suppliers.domain.sync import SyncRun, SyncTrigger
from suppliers.feeds.fetch import FeedUnavailable, FetchLimits, Validators, fetch_page
from suppliers.feeds.page import ParseOptions
from suppliers.feeds.parse import parse_page
from suppliers.service import SuppliersService

log = logging.getLogger(__name__)

RUNS = Counter("suppliers_sync_runs_total", "Finished sync runs", ["status"])
ITEMS = Counter("suppliers_sync_items_total", "Feed items applied by sync runs")
RUN_SECONDS = Histogram("suppliers_sync_run_seconds", "Duration of a sync run")


@dataclass(frozen=True)
class ScrapeLimits:
    fetch: FetchLimits = field(default_factory=FetchLimits)
    max_pages: int = 50
    run_deadline_seconds: float = 600.0
    apply_batch_size: int = 500


@dataclass
class Feed:
    items: list[FeedItem]
    validators: Validators | None
    not_modified: bool
    failed: bool


def _paginated(supplier: Supplier) -> bool:
    cfg = supplier.feed_config
    return bool(cfg.get("next_page") or cfg.get("next_page_path"))


class Scraper:
    def __init__(
        self,
        db: Database,
        service: SuppliersService,
        clock: Clock,
        limits: ScrapeLimits,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.db = db
        self.service = service
        self.clock = clock
        self.limits = limits
        self._transport = transport
        self._tasks: set[asyncio.Task[SyncRun]] = set()

    # -- entry points -----------------------------------------------------------------

    async def trigger(self, supplier_id: str) -> SyncRun:
        """Start a manual scrape in the background; the running run if there is one."""
        run, started = await in_transaction(
            self.db, lambda uow: self.service.start_run(uow, supplier_id, SyncTrigger.MANUAL)
        )
        assert run is not None  # a manual claim is refused only by a RUNNING run
        if started:
            self._spawn(run)
        return run

    async def run_due(self) -> list[SyncRun]:
        """Scrape every active supplier whose schedule slot is due and not yet claimed
        (by this or another replica); suppliers run concurrently and independently."""
        now = self.clock.now()
        await in_transaction(
            self.db,
            lambda uow: self.service.abandon_stale_runs(
                uow, now - timedelta(seconds=self.limits.run_deadline_seconds * 2)
            ),
        )
        async with self.db.unit_of_work() as uow:
            suppliers = await self.service.schedulable(uow)
        claimed: list[SyncRun] = []
        for supplier in suppliers:
            slot = supplier.schedule.slot_at(now)
            if slot is None:
                continue
            try:
                run, started = await self._claim_slot(supplier, slot)
            except Exception:
                log.exception("could not claim a scheduled run", extra={"supplier_id": supplier.id})
                continue
            if started and run is not None:
                claimed.append(run)
        # return_exceptions: a run whose bookkeeping failed must not hide the others'.
        results = await asyncio.gather(
            *(self.scrape(run) for run in claimed), return_exceptions=True
        )
        for run, result in zip(claimed, results, strict=True):
            if isinstance(result, BaseException):
                log.error("scheduled scrape failed", extra={"sync_run_id": run.id}, exc_info=result)
        return [r for r in results if isinstance(r, SyncRun)]

    async def _claim_slot(self, supplier: Supplier, slot: datetime) -> tuple[SyncRun | None, bool]:
        return await in_transaction(
            self.db,
            lambda uow: self.service.start_run(uow, supplier.id, SyncTrigger.SCHEDULED, slot),
        )

    async def _apply(self, supplier: Supplier, run: SyncRun, batch: list[FeedItem]) -> None:
        await in_transaction(
            self.db, lambda uow: self.service.apply_items(uow, supplier, run, batch)
        )

    def _spawn(self, run: SyncRun) -> None:
        task = asyncio.create_task(self.scrape(run), name=f"scrape-{run.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> None:
        """Let background scrapes finish (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- one run ----------------------------------------------------------------------

    async def scrape(self, run: SyncRun) -> SyncRun:
        started = self.clock.now()
        async with self.db.unit_of_work() as uow:
            supplier = await self.service.get_supplier(uow, run.supplier_id)
            validators = await self.service.validators(uow, run.supplier_id)
        feed = Feed([], None, False, True)
        try:
            async with asyncio.timeout(self.limits.run_deadline_seconds):
                feed = await self._read(supplier, run, validators)
                for i in range(0, len(feed.items), self.limits.apply_batch_size):
                    batch = feed.items[i : i + self.limits.apply_batch_size]
                    await self._apply(supplier, run, batch)
                    ITEMS.inc(len(batch))
        except TimeoutError:
            run.add_error(f"run stopped after {self.limits.run_deadline_seconds:g} s")
            feed.failed = True
        except Exception as exc:  # one supplier's failure is recorded, never spread
            log.exception("sync run failed", extra={"sync_run_id": run.id})
            run.add_error(f"{type(exc).__name__}: {exc}")
            feed.failed = True
        finished = await in_transaction(
            self.db,
            lambda uow: self.service.finish_run(
                uow, run, failed=feed.failed, validators=feed.validators
            ),
        )
        RUNS.labels(finished.status.value).inc()
        RUN_SECONDS.observe((self.clock.now() - started).total_seconds())
        log.info(
            "sync run finished",
            extra={
                "sync_run_id": run.id,
                "supplier_id": run.supplier_id,
                "status": finished.status.value,
                "items_seen": run.items_seen,
                "items_changed": run.items_changed,
                "errors": run.error_count,
            },
        )
        return finished

    async def _read(self, supplier: Supplier, run: SyncRun, validators: Validators) -> Feed:
        """Fetch and parse every page; row errors go on the run. `failed` when not even
        the first page could be read."""
        limits = self.limits
        max_pages = min(supplier.max_pages or limits.max_pages, limits.max_pages)
        # Conditional requests only for one-document feeds: a 304 on page 1 of a
        # paginated feed says nothing about the other pages.
        conditional = not _paginated(supplier)
        items: list[FeedItem] = []
        seen: set[str] = set()
        visited: set[str] = set()
        url: str | None = supplier.feed_url
        page_no = 0
        kept: Validators | None = None
        async with httpx.AsyncClient(
            transport=self._transport,
            timeout=limits.fetch.timeout_seconds,
            follow_redirects=True,
            headers={"User-Agent": "cypher-suppliers/1.0", "Accept-Encoding": "identity"},
        ) as client:
            while url and page_no < max_pages and url not in visited:
                page_no += 1
                visited.add(url)
                label = f"page {page_no}"
                try:
                    page = await fetch_page(
                        client, url, limits.fetch, validators if conditional else None
                    )
                except FeedUnavailable as exc:
                    run.add_error(f"{label}: {exc}")
                    return Feed(items, None, False, failed=page_no == 1)
                if page.not_modified:
                    return Feed([], page.validators, True, failed=False)
                parsed = parse_page(
                    supplier.feed_format,
                    page.body,
                    ParseOptions(supplier.feed_config, self.service.ctx.policy.bounds, url, label),
                )
                if parsed.fatal:
                    run.add_error(parsed.fatal)
                    return Feed(items, None, False, failed=page_no == 1)
                for error in parsed.errors:
                    run.add_error(str(error))
                # Counted even when the kept list is full.
                run.error_count += parsed.rows_rejected - len(parsed.errors)
                for item in parsed.items:
                    if item.supplier_sku in seen:
                        run.add_error(f"{label}: {item.supplier_sku} listed twice; first kept")
                        continue
                    seen.add(item.supplier_sku)
                    items.append(item)
                if page_no == 1 and conditional:
                    kept = page.validators
                url = parsed.next_url
        if url and url not in visited and page_no >= max_pages:
            run.add_error(f"stopped after {max_pages} pages")
        return Feed(items, kept, False, failed=False)
