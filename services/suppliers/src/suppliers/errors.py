"""Coded errors of the suppliers service (grpc-free; the runtime maps them to status codes)."""

from __future__ import annotations

from cypher_runtime.errors import (
    AlreadyExists,
    Conflict,
    IllegalState,
    NotFound,
    ValidationFailed,
)

__all__ = [
    "DuplicateSupplier",
    "IllegalTransition",
    "NoOffer",
    "PriceAlertNotFound",
    "SupplierInactive",
    "SupplierNotFound",
    "SupplierOrderNotFound",
    "SupplierProductNotFound",
    "ValidationFailed",
    "VersionConflict",
]


class SupplierNotFound(NotFound):
    code = "SUPPLIER_NOT_FOUND"


class SupplierProductNotFound(NotFound):
    code = "SUPPLIER_PRODUCT_NOT_FOUND"


class PriceAlertNotFound(NotFound):
    code = "PRICE_ALERT_NOT_FOUND"


class SupplierOrderNotFound(NotFound):
    code = "SUPPLIER_ORDER_NOT_FOUND"


class NoOffer(NotFound):
    code = "NO_OFFER"


class DuplicateSupplier(AlreadyExists):
    code = "DUPLICATE_SUPPLIER"


class VersionConflict(Conflict):
    code = "VERSION_CONFLICT"


class SupplierInactive(IllegalState):
    code = "SUPPLIER_INACTIVE"


class IllegalTransition(IllegalState):
    """details: {from, to, allowed}."""

    code = "ILLEGAL_TRANSITION"
