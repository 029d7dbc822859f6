"""Coded errors of the pricing service, on the grpc-free bases of `cypher_runtime.errors`.

The domain raises them directly; the runtime's server interceptor maps each kind to its
gRPC status (`cypher_runtime.grpc_errors`), and the gateway maps that status to HTTP.
"""

from __future__ import annotations

from cypher_runtime.errors import (
    AlreadyExists,
    Conflict,
    IllegalState,
    NotFound,
    ValidationFailed,
)

__all__ = [
    "CustomerNotFound",
    "DuplicateSku",
    "IdempotencyKeyReused",
    "ProductInactive",
    "ProductNotFound",
    "PromotionAlreadyEnded",
    "PromotionNotFound",
    "ValidationFailed",
    "VatRateMissing",
    "VersionConflict",
]


class ProductNotFound(NotFound):
    code = "PRODUCT_NOT_FOUND"


class PromotionNotFound(NotFound):
    code = "PROMOTION_NOT_FOUND"


class CustomerNotFound(NotFound):
    """Pricing has not learned of this customer from orders' events."""

    code = "CUSTOMER_NOT_FOUND"


class DuplicateSku(AlreadyExists):
    code = "DUPLICATE_SKU"


class VersionConflict(Conflict):
    code = "VERSION_CONFLICT"


class VatRateMissing(IllegalState):
    """No VAT rate of a category is in force on the pricing date (configuration gap)."""

    code = "VAT_RATE_MISSING"


class PromotionAlreadyEnded(IllegalState):
    code = "PROMOTION_ALREADY_ENDED"


class ProductInactive(IllegalState):
    code = "PRODUCT_INACTIVE"


class IdempotencyKeyReused(IllegalState):
    """A promotion request repeated a key with a different request."""

    code = "IDEMPOTENCY_KEY_REUSED"
