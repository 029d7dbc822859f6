"""Coded errors of the quotations service (grpc-free; the runtime's interceptor maps
their kind to a gRPC status and the gateway maps that to HTTP)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from cypher_runtime.errors import (
    Conflict,
    DomainError,
    ErrorKind,
    IllegalState,
    NotFound,
    ValidationFailed,
)

__all__ = [
    "ConversionPending",
    "CustomerNotFound",
    "DependencyUnavailable",
    "DomainError",
    "IdempotencyKeyReused",
    "IllegalTransition",
    "NotAccepted",
    "NotDraft",
    "QuotationExpired",
    "QuotationNotFound",
    "ValidationFailed",
    "VersionConflict",
    "remote_error",
]


class QuotationNotFound(NotFound):
    code = "QUOTATION_NOT_FOUND"

    def __init__(self, quotation_id: str) -> None:
        super().__init__(
            f"quotation {quotation_id} not found", details={"quotation_id": quotation_id}
        )


class CustomerNotFound(NotFound):
    code = "CUSTOMER_NOT_FOUND"


class IllegalTransition(IllegalState):
    """details = {"from", "to", "allowed" (next statuses from the current one),
    "allowed_from" (the statuses this change is possible from)}."""

    code = "ILLEGAL_TRANSITION"

    def __init__(
        self, current: str, target: str, allowed: Sequence[str], allowed_from: Sequence[str]
    ) -> None:
        super().__init__(
            f"a {current} quotation cannot become {target} (only from {', '.join(allowed_from)})",
            details={
                "from": current,
                "to": target,
                "allowed": list(allowed),
                "allowed_from": list(allowed_from),
            },
        )


class _WrongStatus(IllegalState):
    """An action that needs one status: details = {"status", "allowed"}."""

    action: str = ""
    needs: tuple[str, ...] = ()

    def __init__(self, quotation_id: str, status: str) -> None:
        super().__init__(
            f"quotation {quotation_id} is {status}: {self.action} needs {' or '.join(self.needs)}",
            details={"quotation_id": quotation_id, "status": status, "allowed": list(self.needs)},
        )


class NotDraft(_WrongStatus):
    code = "NOT_DRAFT"
    action = "changing it"
    needs = ("DRAFT",)


class NotAccepted(_WrongStatus):
    code = "NOT_ACCEPTED"
    action = "converting it to an order"
    needs = ("ACCEPTED",)


class QuotationExpired(IllegalState):
    code = "QUOTATION_EXPIRED"


class VersionConflict(Conflict):
    code = "VERSION_CONFLICT"


class IdempotencyKeyReused(IllegalState):
    code = "IDEMPOTENCY_KEY_REUSED"


class ConversionPending(Conflict):
    """The quote-request order has not yet followed the acceptance (it reads
    quotation.accepted asynchronously): the caller may retry in a moment."""

    code = "CONVERSION_PENDING"


class DependencyUnavailable(DomainError):
    """An upstream service did not answer (down, deadline): the caller may retry."""

    code = "UPSTREAM_UNAVAILABLE"
    kind = ErrorKind.UNAVAILABLE


@cache
def _remote_class(code: str, kind: ErrorKind) -> type[DomainError]:
    # The interceptor reads `code` and `kind` from the class, so an upstream's error
    # passed through unchanged needs a class of its own (built once per code).
    name = "Remote_" + "".join(ch if ch.isalnum() else "_" for ch in code)
    return type(name, (DomainError,), {"code": code, "kind": kind})


def remote_error(code: str, kind: ErrorKind, message: str, details: dict[str, Any]) -> DomainError:
    """An upstream's coded refusal (unknown sku, insufficient stock…), re-raised as is."""
    if code == ValidationFailed.code and isinstance(details.get("fields"), dict):
        return ValidationFailed(dict(details["fields"]), message)
    return _remote_class(code, kind)(message, details=details)
