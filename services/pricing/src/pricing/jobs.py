"""Background jobs (run by the runtime, restarted if they crash): the promotion boundary
scheduler and the tier sweep. Both are safe with several replicas: work is claimed with
row locks (`FOR UPDATE SKIP LOCKED`) inside the transaction that does it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from pricing.service import PricingService

log = logging.getLogger(__name__)


def promotion_boundaries(service: PricingService) -> Callable[[], Awaitable[None]]:
    async def job() -> None:
        poll = service.settings.promotion_poll_seconds
        while True:
            emitted = await service.write(service.promotions.emit_due_boundaries)
            if emitted:
                log.info("promotion boundaries announced", extra={"count": emitted})
                continue  # a full batch may mean more are due
            await asyncio.sleep(poll)

    return job


def tier_sweep(service: PricingService) -> Callable[[], Awaitable[None]]:
    async def job() -> None:
        while True:
            await asyncio.sleep(service.settings.tier_sweep_seconds)
            swept = await service.write(service.customers.sweep_tiers)
            log.info("customer tiers re-checked", extra={"count": swept})

    return job
