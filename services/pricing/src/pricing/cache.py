"""In-process cache of price inputs (products with their promotions, customer tiers, rules).

A TTL bounds staleness even if an invalidation were missed; writes and consumed events
invalidate at once. A generation counter stops a read that began before an invalidation
from putting what it read (possibly stale) back into the cache afterwards — which is why
invalidation happens only once the writing transaction has committed: use cases record
what they changed per unit of work (`Touched`), and the entrypoint drops it after the
commit (`PricingService.write`; the inbox consumer's `after_commit`).
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from cachetools import TTLCache
from prometheus_client import Counter

from cypher_runtime.db import UnitOfWork

CACHE_HITS = Counter("cypher_pricing_cache_hits_total", "Price-input cache hits", ["kind"])
CACHE_MISSES = Counter("cypher_pricing_cache_misses_total", "Price-input cache misses", ["kind"])
CACHE_INVALIDATIONS = Counter(
    "cypher_pricing_cache_invalidations_total", "Price-input cache invalidations", ["kind"]
)

PRODUCT = "product"
CUSTOMER = "customer"
RULES = "rules"


@dataclass
class Touched:
    """What one unit of work changed among the cached inputs."""

    skus: set[str] = field(default_factory=set)
    all_products: bool = False
    customers: set[str] = field(default_factory=set)


class PriceCache:
    def __init__(self, *, maxsize: int, ttl: float) -> None:
        self._data: TTLCache[tuple[str, Hashable], Any] = TTLCache(
            maxsize=maxsize, ttl=ttl, timer=time.monotonic
        )
        self.generation = 0
        # Bound child counters once: labels() looks the child up under a lock on each call.
        self._hits = {k: CACHE_HITS.labels(k) for k in (PRODUCT, CUSTOMER, RULES)}
        self._misses = {k: CACHE_MISSES.labels(k) for k in (PRODUCT, CUSTOMER, RULES)}

    def get(self, kind: str, key: Hashable) -> Any | None:
        value = self._data.get((kind, key))
        if value is None:
            self._misses[kind].inc()
        else:
            self._hits[kind].inc()
        return value

    def put(self, kind: str, key: Hashable, value: Any, generation: int) -> None:
        """Store unless something was invalidated since `generation` was read."""
        if generation == self.generation:
            self._data[(kind, key)] = value

    def _bump(self, kind: str) -> None:
        self.generation += 1
        CACHE_INVALIDATIONS.labels(kind).inc()

    def invalidate_skus(self, skus: list[str] | tuple[str, ...] | set[str]) -> None:
        self._bump(PRODUCT)
        for sku in skus:
            self._data.pop((PRODUCT, sku), None)

    def invalidate_all_products(self) -> None:
        self._bump(PRODUCT)
        for key in [k for k in list(self._data.keys()) if k[0] == PRODUCT]:
            self._data.pop(key, None)

    def invalidate_customer(self, customer_id: str) -> None:
        self._bump(CUSTOMER)
        self._data.pop((CUSTOMER, customer_id), None)

    def clear(self) -> None:
        self._bump("all")
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def forget(self, touched: Touched) -> None:
        if touched.all_products:
            self.invalidate_all_products()
        elif touched.skus:
            self.invalidate_skus(touched.skus)
        for customer_id in touched.customers:
            self.invalidate_customer(customer_id)


class TouchedByUnitOfWork:
    """Collects `Touched` per open unit of work. Use cases record into it (they only have
    the unit of work); the entrypoint takes it after the commit. Weak keys: a unit of work
    that rolled back or was committed by the inbox consumer leaves nothing behind."""

    def __init__(self) -> None:
        self._open: WeakKeyDictionary[UnitOfWork, Touched] = WeakKeyDictionary()

    def __call__(self, uow: UnitOfWork) -> Touched:
        touched = self._open.get(uow)
        if touched is None:
            touched = self._open[uow] = Touched()
        return touched

    def take(self, uow: UnitOfWork) -> Touched:
        return self._open.pop(uow, None) or Touched()
