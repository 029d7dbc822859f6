"""The customer (billing data): validation of what a customer may hold."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from orders.domain.cui import InvalidCui, normalize_cui
from orders.errors import ValidationFailed

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().-]{6,20}$")
ADDRESS_FIELDS = ("line1", "line2", "city", "county", "postal_code", "country")


@dataclass
class Customer:
    id: uuid.UUID
    name: str
    email: str
    created_at: datetime
    updated_at: datetime
    company: str = ""
    vat_code: str = ""
    address: dict[str, str] | None = None
    phone: str = ""
    version: int = 1


def clean_customer_fields(
    *,
    name: str | None = None,
    email: str | None = None,
    company: str | None = None,
    vat_code: str | None = None,
    phone: str | None = None,
    address: dict[str, str] | None = None,
    creating: bool,
) -> dict[str, object]:
    """Validated, normalized values of the fields given (None = not given).
    Raises VALIDATION_ERROR naming every bad field at once."""
    errors: dict[str, str] = {}
    out: dict[str, object] = {}
    if name is not None or creating:
        text = (name or "").strip()
        if not text:
            errors["name"] = "required"
        elif len(text) > 200:
            errors["name"] = "at most 200 characters"
        out["name"] = text
    if email is not None or creating:
        text = (email or "").strip()
        if not _EMAIL.match(text):
            errors["email"] = "not a valid email address"
        out["email"] = text
    if company is not None:
        out["company"] = company.strip()
    if vat_code is not None:
        text = vat_code.strip()
        if text:
            try:
                text = normalize_cui(text)
            except InvalidCui as exc:
                errors["vat_code"] = f"invalid Romanian CUI: {exc}"
        out["vat_code"] = text
    if phone is not None:
        text = phone.strip()
        if text and not _PHONE.match(text):
            errors["phone"] = "not a valid phone number"
        out["phone"] = text
    if address is not None:
        out["address"] = {k: str(address.get(k, "")).strip() for k in ADDRESS_FIELDS}
    if errors:
        raise ValidationFailed(errors)
    return out
