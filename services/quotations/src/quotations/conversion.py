"""Converting an ACCEPTED quotation into an order: a process of two transactions
around one call to orders.

1. Read the quotation: already CONVERTED → answer its order; not ACCEPTED → refuse.
2. Call orders CreateOrder with the locked prices, `quotation_id` set (and, for a
   quote request, `quote_request_order_id`). Orders is idempotent by quotation id.
3. Record the order on the quotation (row lock, idempotent).

Crash guarantees: a crash (or lost answer) between 2 and 3 leaves the quotation
unconverted; the next convert repeats 2, which orders answers with the same order, and
records it. So one quotation never yields two orders, whatever fails where.

A quote-request order follows its quotation through events: it reaches QUOTE_ACCEPTED
only once orders consumed `quotation.accepted`. A convert right after the accept may
overtake that event, so an ILLEGAL_TRANSITION from orders is retried for a short while
(`QUOTATIONS_CONVERT_FOLLOW_WAIT_SECONDS`) before CONVERSION_PENDING (409, retry).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from cypher_runtime.db import Database, in_transaction
from quotations.domain.model import Quotation
from quotations.errors import ConversionPending, DomainError
from quotations.ports import OrdersPort, PlacedOrder
from quotations.service import QuotationsService

log = logging.getLogger(__name__)

FOLLOW_POLL_SECONDS = 0.2


class Conversion:
    def __init__(
        self,
        db: Database,
        service: QuotationsService,
        orders: OrdersPort,
        *,
        follow_wait_seconds: float = 10.0,
    ) -> None:
        self.db = db
        self.service = service
        self.orders = orders
        self.follow_wait_seconds = follow_wait_seconds

    async def convert(
        self, quotation_id: uuid.UUID, *, allow_backorder: bool = False
    ) -> tuple[Quotation, PlacedOrder | None]:
        """(quotation, the order placed now); the order is None when it was converted
        before (the quotation carries its order id and number)."""
        quotation = await in_transaction(self.db, lambda uow: self.service.get(uow, quotation_id))
        if quotation.converted:
            return quotation, None
        quotation.check_convertible()
        order = await self._place(quotation, allow_backorder)
        recorded = await in_transaction(
            self.db, lambda uow: self.service.record_conversion(uow, quotation_id, order)
        )
        log.info(
            "quotation converted",
            extra={
                "quotation_id": str(quotation_id),
                "order_id": str(order.id),
                "replayed": order.replayed,
            },
        )
        return recorded, order

    async def _place(self, quotation: Quotation, allow_backorder: bool) -> PlacedOrder:
        deadline = time.monotonic() + self.follow_wait_seconds
        while True:
            try:
                return await self.orders.create_order(quotation, allow_backorder=allow_backorder)
            except DomainError as err:
                following = err.code == "ILLEGAL_TRANSITION" and err.details.get("from") in (
                    "QUOTE_PENDING",
                    "QUOTE_SENT",
                )
                # Anything else (a cancelled order, stock…) is the answer as it is.
                if quotation.source_order_id is None or not following:
                    raise
                if time.monotonic() >= deadline:
                    raise ConversionPending(
                        f"order {quotation.source_order_id} has not yet followed the"
                        f" acceptance of {quotation.number}; retry in a moment",
                        details={
                            "order_id": str(quotation.source_order_id),
                            "order_status": err.details.get("from", ""),
                        },
                    ) from err
                await asyncio.sleep(FOLLOW_POLL_SECONDS)
