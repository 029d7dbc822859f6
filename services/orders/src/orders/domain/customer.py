"""The customer (billing data): what a customer may hold, and its changes."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from orders.domain.changes import CustomerUpserted
from orders.domain.cui import InvalidCui, normalize_cui
from orders.errors import ValidationFailed, VersionConflict

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().-]{6,20}$")
# Trade register numbers: the classic "J12/1234/2010" (J/F/C + county, number, year) and
# the 2024 EUID-style form without slashes ("J2010001234123"); a register officer's
# spelling varies, so letters, digits, slashes, dots and dashes, up to 32, are accepted.
_REG_COM = re.compile(r"^[A-Z][A-Z0-9./-]{2,31}$")
ADDRESS_FIELDS = ("line1", "line2", "city", "county", "postal_code", "country")


@dataclass(frozen=True)
class CustomerFields:
    """Validated, normalized billing data; None = not given (an update keeps it)."""

    name: str | None = None
    email: str | None = None
    company: str | None = None
    vat_code: str | None = None
    phone: str | None = None
    address: dict[str, str] | None = None
    reg_com: str | None = None


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
    reg_com: str = ""
    version: int = 1
    changes: list[CustomerUpserted] = field(default_factory=list)

    def expect_version(self, expected_version: int) -> None:
        """Refuse a write based on a stale read (`expected_version` 0 = any version)."""
        if expected_version and self.version != expected_version:
            raise VersionConflict(
                "the customer changed meanwhile",
                details={"expected_version": expected_version, "version": self.version},
            )

    def update(self, fields: CustomerFields, *, at: datetime) -> None:
        """Apply the fields given (the others keep their value)."""
        if fields.name is not None:
            self.name = fields.name
        if fields.email is not None:
            self.email = fields.email
        if fields.company is not None:
            self.company = fields.company
        if fields.vat_code is not None:
            self.vat_code = fields.vat_code
        if fields.phone is not None:
            self.phone = fields.phone
        if fields.reg_com is not None:
            self.reg_com = fields.reg_com
        if fields.address is not None:
            self.address = fields.address
        self.version += 1
        self.updated_at = at
        self.changes.append(CustomerUpserted(at))


def new_customer(customer_id: uuid.UUID, fields: CustomerFields, *, at: datetime) -> Customer:
    """A customer from the cleaned fields of a create request."""
    customer = Customer(
        id=customer_id,
        name=fields.name or "",
        email=fields.email or "",
        company=fields.company or "",
        vat_code=fields.vat_code or "",
        address=fields.address,
        phone=fields.phone or "",
        reg_com=fields.reg_com or "",
        created_at=at,
        updated_at=at,
    )
    customer.changes.append(CustomerUpserted(at))
    return customer


def clean_customer_fields(raw: CustomerFields, *, creating: bool) -> CustomerFields:
    """Validated, normalized values of the fields given (None = not given; creating, a
    missing name or email is an error). Raises VALIDATION_ERROR naming every bad field."""
    errors: dict[str, str] = {}
    name = email = vat_code = phone = reg_com = None
    if raw.name is not None or creating:
        name = (raw.name or "").strip()
        if not name:
            errors["name"] = "required"
        elif len(name) > 200:
            errors["name"] = "at most 200 characters"
    if raw.email is not None or creating:
        email = (raw.email or "").strip()
        if not _EMAIL.match(email):
            errors["email"] = "not a valid email address"
    if raw.vat_code is not None:
        vat_code = raw.vat_code.strip()
        if vat_code:
            try:
                vat_code = normalize_cui(vat_code)
            except InvalidCui as exc:
                errors["vat_code"] = f"invalid Romanian CUI: {exc}"
    if raw.phone is not None:
        phone = raw.phone.strip()
        if phone and not _PHONE.match(phone):
            errors["phone"] = "not a valid phone number"
    if raw.reg_com is not None:
        reg_com = raw.reg_com.strip().upper().replace(" ", "")
        if reg_com and not _REG_COM.match(reg_com):
            errors["reg_com"] = "not a trade register number (e.g. J12/1234/2010)"
    if errors:
        raise ValidationFailed(errors)
    return CustomerFields(
        name=name,
        email=email,
        company=raw.company.strip() if raw.company is not None else None,
        vat_code=vat_code,
        phone=phone,
        reg_com=reg_com,
        address=(
            {k: str(raw.address.get(k, "")).strip() for k in ADDRESS_FIELDS}
            if raw.address is not None
            else None
        ),
    )
