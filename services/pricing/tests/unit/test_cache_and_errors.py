"""The price cache's invalidation race guard and the coded errors' kinds."""

from __future__ import annotations

from cypher_runtime.errors import ErrorKind
from pricing.cache import CUSTOMER, PRODUCT, PriceCache
from pricing.errors import (
    CustomerNotFound,
    DuplicateSku,
    ProductInactive,
    ProductNotFound,
    PromotionAlreadyEnded,
    VatRateMissing,
    VersionConflict,
)


def test_a_read_that_began_before_an_invalidation_cannot_refill_the_cache() -> None:
    cache = PriceCache(maxsize=10, ttl=300)
    generation = cache.generation  # a reader starts, reads the (old) row…

    cache.invalidate_skus({"A"})  # …a write commits meanwhile
    cache.put(PRODUCT, "A", "old row", generation)

    assert cache.get(PRODUCT, "A") is None


def test_cached_values_are_served_until_invalidated() -> None:
    cache = PriceCache(maxsize=10, ttl=300)
    cache.put(PRODUCT, "A", "row", cache.generation)
    cache.put(CUSTOMER, "c", "TIER_1", cache.generation)

    assert cache.get(PRODUCT, "A") == "row"
    cache.invalidate_all_products()
    assert cache.get(PRODUCT, "A") is None
    assert cache.get(CUSTOMER, "c") == "TIER_1"
    cache.invalidate_customer("c")
    assert cache.get(CUSTOMER, "c") is None


def test_cache_is_bounded() -> None:
    cache = PriceCache(maxsize=3, ttl=300)
    for sku in "ABCDE":
        cache.put(PRODUCT, sku, sku, cache.generation)

    assert len(cache) == 3


def test_errors_carry_their_code_and_kind() -> None:
    assert (DuplicateSku.code, DuplicateSku.kind) == ("DUPLICATE_SKU", ErrorKind.ALREADY_EXISTS)
    assert (VersionConflict.code, VersionConflict.kind) == ("VERSION_CONFLICT", ErrorKind.CONFLICT)
    assert (ProductNotFound.code, ProductNotFound.kind) == (
        "PRODUCT_NOT_FOUND",
        ErrorKind.NOT_FOUND,
    )
    assert (CustomerNotFound.code, CustomerNotFound.kind) == (
        "CUSTOMER_NOT_FOUND",
        ErrorKind.NOT_FOUND,
    )
    for rule in (PromotionAlreadyEnded, VatRateMissing, ProductInactive):
        assert rule.kind == ErrorKind.PRECONDITION
    assert (PromotionAlreadyEnded.code, VatRateMissing.code, ProductInactive.code) == (
        "PROMOTION_ALREADY_ENDED",
        "VAT_RATE_MISSING",
        "PRODUCT_INACTIVE",
    )
