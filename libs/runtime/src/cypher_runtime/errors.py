"""Coded domain errors: the grpc-free base every service's `errors.py` builds on.

This module imports the standard library only, so a service's domain may raise these
errors without pulling in any framework (the purity check in `cypher_testkit.purity`
allows exactly this module). Their one mapping to gRPC status codes lives in
`cypher_runtime.grpc_errors`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class ErrorKind(StrEnum):
    INVALID = "INVALID"  # bad input → INVALID_ARGUMENT → 400
    NOT_FOUND = "NOT_FOUND"  # → NOT_FOUND → 404
    PRECONDITION = (
        "PRECONDITION"  # illegal transition, state forbids it → FAILED_PRECONDITION → 409
    )
    CONFLICT = "CONFLICT"  # concurrent change → ABORTED → 409
    ALREADY_EXISTS = "ALREADY_EXISTS"  # duplicate of a unique thing → ALREADY_EXISTS → 409
    EXHAUSTED = "EXHAUSTED"  # insufficient stock → RESOURCE_EXHAUSTED → 409
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    UNAVAILABLE = "UNAVAILABLE"


class DomainError(Exception):
    """Base of every coded business error. Subclasses set `code` and `kind`."""

    code: ClassVar[str] = "DOMAIN_ERROR"
    kind: ClassVar[ErrorKind] = ErrorKind.PRECONDITION

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ValidationFailed(DomainError):
    """Invalid input; `fields` maps each offending field to what is wrong with it."""

    code = "VALIDATION_ERROR"
    kind = ErrorKind.INVALID

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        text = message or "; ".join(f"{k}: {v}" for k, v in fields.items())
        super().__init__(text, details={"fields": fields})
        self.fields = fields


class NotFound(DomainError):
    code = "NOT_FOUND"
    kind = ErrorKind.NOT_FOUND


class Conflict(DomainError):
    code = "CONFLICT"
    kind = ErrorKind.CONFLICT


class AlreadyExists(DomainError):
    """A duplicate of something unique (a sku, an e-mail): ALREADY_EXISTS → 409."""

    code = "ALREADY_EXISTS"
    kind = ErrorKind.ALREADY_EXISTS


class Exhausted(DomainError):
    """Not enough of something (stock): RESOURCE_EXHAUSTED → 409."""

    code = "EXHAUSTED"
    kind = ErrorKind.EXHAUSTED


class IllegalState(DomainError):
    """The aggregate's state forbids the change: FAILED_PRECONDITION → 409."""

    code = "ILLEGAL_STATE"
    kind = ErrorKind.PRECONDITION
