"""The pricing use cases, one module per aggregate, behind one `PricingService`.

The unit of work rule (services/README.md): a use case takes the entrypoint's unit of
work and never commits. Price inputs are cached per replica (`cache.py`), and a cache
entry may be dropped only after the change is committed — dropped earlier, a reader could
put the pre-commit row back. So use cases record what they changed per unit of work
(`PriceBook.touched(uow)`), and `PricingService.write` — how gRPC methods and jobs run
a write — commits, then drops it. Consumed events are committed by the inbox consumer,
whose `after_commit` hook drops what the event concerns (`consumers.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, UnitOfWork, in_transaction
from pricing.cache import PriceCache, TouchedByUnitOfWork
from pricing.service.customers import CustomerService, TierView
from pricing.service.prices import PriceBook
from pricing.service.products import ProductService
from pricing.service.promotions import PromotionService
from pricing.service.quotes import QuoteService
from pricing.settings import PricingSettings

__all__ = ["PricingService", "TierView"]

T = TypeVar("T")


class PricingService:
    def __init__(
        self, db: Database, *, clock: Clock, settings: PricingSettings, cache: PriceCache
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.cache = cache
        self.book = PriceBook(
            db, clock=clock, settings=settings, cache=cache, touched=TouchedByUnitOfWork()
        )
        self.quotes = QuoteService(self.book)
        self.products = ProductService(self.book)
        self.promotions = PromotionService(self.book)
        self.customers = CustomerService(self.book)

    async def write(self, use_case: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run a write use case in its own transaction (`in_transaction`) and, once it
        committed, drop from the cache what it changed."""
        opened: list[UnitOfWork] = []

        async def tracked(uow: UnitOfWork) -> T:
            opened.append(uow)
            return await use_case(uow)

        # Rolled back, it leaves nothing to drop (its record goes with the unit of work).
        result = await in_transaction(self.db, tracked)
        for uow in opened:
            self.cache.forget(self.book.touched.take(uow))
        return result
