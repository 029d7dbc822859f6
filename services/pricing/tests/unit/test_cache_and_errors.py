"""The price cache's invalidation race guard and the domain → runtime error mapping."""

from __future__ import annotations

from cypher_runtime.errors import ErrorKind, ValidationFailed
from pricing.cache import CUSTOMER, PRODUCT, PriceCache
from pricing.domain.errors import InvalidInput, PromotionAlreadyEnded, VatRateMissing
from pricing.errors import translate


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


def test_invalid_input_becomes_validation_failed_with_fields() -> None:
    err = translate(InvalidInput({"quantity": "must be positive"}))

    assert isinstance(err, ValidationFailed)
    assert err.fields == {"quantity": "must be positive"}


def test_rule_violations_keep_their_code_and_kind() -> None:
    ended = translate(PromotionAlreadyEnded("ended", details={"promotion_id": "p"}))
    vat = translate(VatRateMissing("none"))

    assert (ended.code, ended.kind, ended.details) == (
        "PROMOTION_ALREADY_ENDED",
        ErrorKind.PRECONDITION,
        {"promotion_id": "p"},
    )
    assert (vat.code, vat.kind) == ("VAT_RATE_MISSING", ErrorKind.PRECONDITION)
