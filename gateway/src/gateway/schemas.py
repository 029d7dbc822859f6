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

from gateway.inputs.common import Strict
from gateway.rbac import Role
from gateway.tables import User

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


class UserUpdate(Strict):
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    is_active: StrictBool | None = None
    password: Password | None = None


class UserPublic(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    totp_enabled: bool
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
