"""Scheduled work: the scrape scheduler. Every replica runs it; each schedule slot of a
supplier is claimed once (unique index on the run's slot), so one replica scrapes it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from suppliers.scrape import Scraper

log = logging.getLogger(__name__)


def scheduler(scraper: Scraper, tick_seconds: float) -> Callable[[], Awaitable[None]]:
    async def loop() -> None:
        while True:
            try:
                runs = await scraper.run_due()
                if runs:
                    log.info("scheduled scrapes done", extra={"runs": len(runs)})
            except Exception:
                log.exception("scheduler tick failed")
            await asyncio.sleep(tick_seconds)

    return loop
