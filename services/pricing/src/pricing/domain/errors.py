"""Rule violations raised by the domain; the service maps them to coded runtime errors.

Kept free of any framework so the domain stays importable and testable on its own.
"""

from __future__ import annotations

from typing import ClassVar


class RuleViolation(Exception):
    """Base of every domain error. `code` is stable; `kind` says how callers should react."""

    code: ClassVar[str] = "RULE_VIOLATION"
    # INVALID (bad input), PRECONDITION (state forbids it), CONFLICT, NOT_FOUND.
    kind: ClassVar[str] = "PRECONDITION"

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = details or {}


class InvalidInput(RuleViolation):
    """One or more fields are invalid; `fields` maps each field to its problem."""

    code = "VALIDATION_ERROR"
    kind = "INVALID"

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class VatRateMissing(RuleViolation):
    """No VAT rate of a category is in force on the pricing date (configuration gap)."""

    code = "VAT_RATE_MISSING"
    kind = "PRECONDITION"


class PromotionAlreadyEnded(RuleViolation):
    code = "PROMOTION_ALREADY_ENDED"
    kind = "PRECONDITION"


class ProductInactive(RuleViolation):
    code = "PRODUCT_INACTIVE"
    kind = "PRECONDITION"
