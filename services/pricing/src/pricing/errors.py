"""Coded errors of the pricing service and the one translation of domain rule violations.

The interceptor of the runtime turns each `DomainError` into a gRPC status code plus a
machine code; the domain itself stays framework-free and raises `RuleViolation`s.
"""

from __future__ import annotations

from typing import cast

from cypher_runtime.errors import Conflict, DomainError, ErrorKind, NotFound, ValidationFailed
from pricing.domain.errors import InvalidInput, RuleViolation


class ProductNotFound(NotFound):
    code = "PRODUCT_NOT_FOUND"


class PromotionNotFound(NotFound):
    code = "PROMOTION_NOT_FOUND"


class DuplicateSku(Conflict):
    """ABORTED (409): the runtime has no ALREADY_EXISTS kind; conflicts are ABORTED."""

    code = "DUPLICATE_SKU"


class VersionConflict(Conflict):
    code = "VERSION_CONFLICT"


_RUNTIME_CLASSES: dict[str, type[DomainError]] = {}


def _runtime_class(violation: type[RuleViolation]) -> type[DomainError]:
    cls = _RUNTIME_CLASSES.get(violation.code)
    if cls is None:
        attrs = {"code": violation.code, "kind": ErrorKind(violation.kind)}
        cls = cast(type[DomainError], type(violation.__name__, (DomainError,), attrs))
        _RUNTIME_CLASSES[violation.code] = cls
    return cls


def translate(exc: RuleViolation) -> DomainError:
    """The runtime error carrying the same code, kind, message and details."""
    if isinstance(exc, InvalidInput):
        return ValidationFailed(exc.fields)
    return _runtime_class(type(exc))(exc.message, details=exc.details)
