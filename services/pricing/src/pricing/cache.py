"""In-process cache of price inputs (products with their promotions, customer tiers, rules).

A TTL bounds staleness even if an invalidation were missed; writes and consumed events
invalidate at once. A generation counter stops a read that began before an invalidation
from putting what it read (possibly stale) back into the cache afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Any

from cachetools import TTLCache
from prometheus_client import Counter

CACHE_HITS = Counter("cypher_pricing_cache_hits_total", "Price-input cache hits", ["kind"])
CACHE_MISSES = Counter("cypher_pricing_cache_misses_total", "Price-input cache misses", ["kind"])
CACHE_INVALIDATIONS = Counter(
    "cypher_pricing_cache_invalidations_total", "Price-input cache invalidations", ["kind"]
)

PRODUCT = "product"
CUSTOMER = "customer"
RULES = "rules"


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
