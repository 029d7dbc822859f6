"""Scheduled work: the SmartBill payment poll (every 15 minutes by default).

Several replicas may run it: each round claims a batch of due invoices in a short
transaction (FOR UPDATE SKIP LOCKED, their next check moved one interval on), then asks
SmartBill for each and records a change through the same use case in its own
transaction. A claimed invoice whose check failed is simply checked next interval.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, in_transaction
from integration.db.documents import record_run
from integration.ports import LinkPort, PaymentState, SmartBillPort
from integration.service import InvoicingService
from integration.smartbill.outcomes import Refused, SmartBillError

log = logging.getLogger(__name__)
RUN_NAME = "smartbill_payments"


class PaymentPoller:
    def __init__(
        self,
        db: Database,
        service: InvoicingService,
        smartbill: SmartBillPort,
        link: LinkPort,
        clock: Clock,
        *,
        interval_seconds: float,
        batch: int,
    ) -> None:
        self.db = db
        self.service = service
        self.smartbill = smartbill
        self.link = link
        self.clock = clock
        self.interval = timedelta(seconds=interval_seconds)
        self.batch = batch

    async def run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except Exception:
                log.exception("payment poll failed")
            await asyncio.sleep(self.interval.total_seconds())

    async def poll_once(self) -> int:
        """One round; returns how many invoices changed payment state."""
        if not self.link.ready():
            await self._record(ok=False, error=self.link.status().last_error or "circuit open")
            return 0
        changed = 0
        error = ""
        while True:
            docs = await in_transaction(
                self.db,
                lambda uow: self.service.claim_payment_checks(
                    uow, interval=self.interval, limit=self.batch
                ),
            )
            for doc in docs:
                ref = doc.ref
                if ref is None:
                    continue
                try:
                    state = await self.smartbill.payment_status(ref)
                except Refused as exc:
                    log.warning(
                        "payment status refused", extra={"id": str(doc.id), "error": exc.message}
                    )
                    continue
                except SmartBillError as exc:
                    error = exc.message
                    break
                if await self._record_state(doc.id, state):
                    changed += 1
            if error or len(docs) < self.batch:
                break
        await self._record(ok=not error, error=error)
        return changed

    async def _record_state(self, document_id: uuid.UUID, state: PaymentState) -> bool:
        async with self.db.unit_of_work() as uow:
            changed = await self.service.record_payment_state(uow, document_id, state)
            await uow.commit()
        return changed

    async def _record(self, *, ok: bool, error: str) -> None:
        await in_transaction(
            self.db,
            lambda uow: record_run(uow, RUN_NAME, at=self.clock.now(), ok=ok, error=error),
        )
