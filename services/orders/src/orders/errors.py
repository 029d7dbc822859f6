"""Coded errors of the orders service, one stable machine code each, on the grpc-free
bases of `cypher_runtime.errors` (the runtime's interceptor maps their kinds to status
codes; the gateway maps those to HTTP). `remote_error` rebuilds an upstream's coded
error so it passes through orders unchanged (INSUFFICIENT_STOCK with its shortfall,
PRODUCT_NOT_FOUND…)."""

from __future__ import annotations

from functools import cache
from typing import Any

from cypher_runtime.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    ErrorKind,
    Exhausted,
    IllegalState,
    NotFound,
    ValidationFailed,
)

__all__ = [
    "ConfirmationNeedsPlacement",
    "CustomerNotFound",
    "DependencyUnavailable",
    "DomainError",
    "DuplicateEmail",
    "ErrorKind",
    "IdempotencyKeyReused",
    "IllegalTransition",
    "InsufficientStock",
    "InvalidQuantity",
    "OrderNotFound",
    "PlacementAbandoned",
    "PlacementInProgress",
    "SagaTakenOver",
    "ShipmentNotFound",
    "ValidationFailed",
    "VersionConflict",
    "remote_error",
]


class CustomerNotFound(NotFound):
    code = "CUSTOMER_NOT_FOUND"


class OrderNotFound(NotFound):
    code = "ORDER_NOT_FOUND"


class ShipmentNotFound(NotFound):
    code = "SHIPMENT_NOT_FOUND"


class DuplicateEmail(AlreadyExists):
    code = "DUPLICATE_EMAIL"


class VersionConflict(Conflict):
    code = "VERSION_CONFLICT"


class IllegalTransition(IllegalState):
    """details = {"from": ..., "to": ..., "allowed": [...]} (BUSINESS_RULES.md)."""

    code = "ILLEGAL_TRANSITION"


class ConfirmationNeedsPlacement(IllegalState):
    """ORDER_CONFIRMED needs prices and a reservation: only the placement saga sets it."""

    code = "CONFIRMATION_REQUIRES_PLACEMENT"


class IdempotencyKeyReused(IllegalState):
    code = "IDEMPOTENCY_KEY_REUSED"


class PlacementInProgress(Conflict):
    """A request with the same idempotency key is still being placed."""

    code = "ORDER_PLACEMENT_IN_PROGRESS"


class SagaTakenOver(Conflict):
    """The recoverer took this saga over (its owner was presumed dead)."""

    code = "SAGA_TAKEN_OVER"


class InvalidQuantity(ValidationFailed):
    """More shipped/returned than possible; the fields name the sku and the limit."""

    code = "INVALID_QUANTITY"

    def __init__(self, message: str, *, fields: dict[str, str], sku: str = "") -> None:
        super().__init__(fields, message)
        if sku:
            self.details["sku"] = sku


class InsufficientStock(Exhausted):
    """details = {"shortfall": {sku: units}} exactly as inventory reported it."""

    code = "INSUFFICIENT_STOCK"


class DependencyUnavailable(DomainError):
    """An upstream service did not answer (down, deadline): the caller may retry."""

    code = "UPSTREAM_UNAVAILABLE"
    kind = ErrorKind.UNAVAILABLE


class PlacementAbandoned(DomainError):
    """The saga's owner died half-way and the recoverer compensated it."""

    code = "PLACEMENT_ABANDONED"
    kind = ErrorKind.UNAVAILABLE


@cache
def _remote_class(code: str, kind: ErrorKind) -> type[DomainError]:
    # One subclass per (code, kind), built once: the interceptor reads `code` and
    # `kind` from the class, so a pass-through error needs a class of its own.
    name = "Remote_" + "".join(ch if ch.isalnum() else "_" for ch in code)
    return type(name, (DomainError,), {"code": code, "kind": kind})


def remote_error(code: str, kind: ErrorKind, message: str, details: dict[str, Any]) -> DomainError:
    """A coded error of an upstream service, re-raised by orders unchanged."""
    if code == InsufficientStock.code:
        return InsufficientStock(message, details=details)
    return _remote_class(code, kind)(message, details=details)
