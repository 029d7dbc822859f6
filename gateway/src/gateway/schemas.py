"""Request, update and public models of the auth and user endpoints.

Separate shapes on purpose: a `User` row (with its password hash, TOTP secret and
backup-code hashes) is never serialised; only `UserPublic` leaves the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import email_validator
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, Field, StrictBool

from gateway.inputs.common import Strict, UtcTime
from gateway.rbac import Role
from gateway.tables import ApiKey, User

# Staff accounts may live on an internal `.local` domain (the development admin is
# admin@cypher.local); email-validator documents this list as the knob to allow one.
if "local" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
    email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("local")


def _email(value: str) -> str:
    try:
        info = validate_email(value, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    return info.normalized.lower()


Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
Password = Annotated[str, Field(min_length=10, max_length=256)]
TotpCode = Annotated[str, Field(min_length=6, max_length=32)]


class LoginRequest(Strict):
    # Not validated as an address: a login with a malformed email is simply a failed login.
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=256)
    totp_code: str | None = Field(default=None, max_length=32, description="TOTP or backup code")


class RefreshRequest(Strict):
    refresh_token: str | None = Field(default=None, max_length=256)


class TotpRequest(Strict):
    totp_code: TotpCode


class UserCreate(Strict):
    email: Email
    password: Password
    full_name: str = Field(min_length=1, max_length=200)
    role: Role
    # Required for (and only for) role partner: the one customer it acts for.
    customer_id: uuid.UUID | None = None


class UserUpdate(Strict):
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    is_active: StrictBool | None = None
    password: Password | None = None
    # The partner's customer; send null to unbind (with a change to a staff role).
    customer_id: uuid.UUID | None = None


class UserPublic(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    totp_enabled: bool
    customer_id: uuid.UUID | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            id=user.id,
            email=user.email,
            full_name=user.full_name,
            role=Role(user.role),
            is_active=user.is_active,
            totp_enabled=user.totp_enabled,
            customer_id=user.customer_id,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserPublic


class TwoFactorSetup(BaseModel):
    secret: str
    otpauth_uri: str
    backup_codes: list[str]


class Me(UserPublic):
    permissions: list[str]
    backup_codes_left: int


# --- API keys ------------------------------------------------------------------------------

ScopeName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z-]+:[a-z-]+$")]


class ApiKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=200, description="who uses it, e.g. 'ACME ERP'")
    customer_id: uuid.UUID | None = Field(
        default=None, description="the partner's customer (the key's role is then partner)"
    )
    role: Role | None = Field(
        default=None, description="partner (default with customer_id) or a staff role"
    )
    scopes: list[ScopeName] = Field(
        min_length=1,
        max_length=50,
        description="e.g. catalogue:read, orders:read, orders:write, quotations:read, "
        "invoices:read (or any permission name); rights = role ∩ scopes",
    )
    expires_at: UtcTime | None = Field(default=None, description="absent = never expires")
    rate_limit_per_minute: int | None = Field(
        default=None, ge=1, le=100_000, description="absent = GATEWAY_RATE_LIMIT_API_KEY"
    )


class ApiKeyPublic(BaseModel):
    """An API key as listed: never its secret (only the lookup prefix)."""

    id: uuid.UUID
    name: str
    prefix: str
    role: Role
    customer_id: uuid.UUID | None
    scopes: list[str]
    rate_limit_per_minute: int | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> ApiKeyPublic:
        return cls(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            role=Role(row.role),
            customer_id=row.customer_id,
            scopes=list(row.scopes),
            rate_limit_per_minute=row.rate_limit_per_minute,
            created_by=row.created_by,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the key itself, shown this once: store it now")
