"""The sweep that expires quotations and announces their reminders.

Every replica runs it. Each batch is one short transaction that claims due rows with
`FOR UPDATE SKIP LOCKED`, so two replicas never expire or remind the same quotation:
the second skips the rows the first holds, and once the first commits those rows are
no longer due (status EXPIRED, or the reminder recorded as handled).
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import Counter

from cypher_runtime.db import Database, in_transaction
from quotations.service import QuotationsService

log = logging.getLogger(__name__)

SWEPT = Counter(
    "cypher_quotations_swept_total",
    "Quotations expired or reminded by the sweep",
    ["kind"],
)


class Sweep:
    def __init__(self, db: Database, service: QuotationsService, *, batch: int) -> None:
        self.db = db
        self.service = service
        self.batch = batch

    async def once(self) -> tuple[int, int]:
        """Work through everything due now; (expired, reminded)."""
        expired = reminded = 0
        while True:
            n = await in_transaction(self.db, lambda uow: self.service.expire_due(uow, self.batch))
            expired += n
            if n < self.batch:
                break
        while True:
            n = await in_transaction(self.db, lambda uow: self.service.remind_due(uow, self.batch))
            reminded += n
            if n < self.batch:
                break
        if expired or reminded:
            SWEPT.labels("expired").inc(expired)
            SWEPT.labels("reminded").inc(reminded)
            log.info("quotations swept", extra={"expired": expired, "reminded": reminded})
        return expired, reminded

    async def run(self, interval_seconds: float) -> None:
        while True:
            await self.once()
            await asyncio.sleep(interval_seconds)
