"""SQLModel tables of the gateway's own database: users, refresh tokens, the audit trail
and idempotency keys. Table rows never leave the API; `gateway.schemas` holds the
public shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index),
    )


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # Stored lower-cased, so uniqueness is case-insensitive.
    email: str = Field(sa_column=Column(String(320), nullable=False, unique=True))
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    password_hash: str
    is_active: bool = True
    totp_secret: str | None = None
    totp_enabled: bool = False
    # Last TOTP time step accepted: a code is good once (replay refused).
    totp_last_step: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    backup_code_hashes: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    # Bumped on deactivation, role or password change: older access tokens are refused.
    token_version: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    # The one customer a partner is bound to (role partner only).
    customer_id: uuid.UUID | None = Field(default=None, index=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ApiKey(SQLModel, table=True):
    """A machine client's key `cyk_<prefix>_<secret>`: only the SHA-256 of the whole key
    is stored (256 random bits: nothing to brute-force, so no slow hash is needed); the
    prefix finds the row. Several active keys per client are allowed (rotation)."""

    __tablename__ = "api_keys"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    prefix: str = Field(sa_column=Column(String(32), nullable=False, unique=True))
    secret_hash: str = Field(max_length=64)
    name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    customer_id: uuid.UUID | None = Field(default=None, index=True)
    scopes: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    rate_limit_per_minute: int | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = _ts()
    expires_at: datetime | None = _ts(nullable=True)
    last_used_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)


class RefreshToken(SQLModel, table=True):
    """One refresh token of a family. Rotation marks the old row used and adds a new row
    in the same family; presenting a used row again means it was stolen → revoke all."""

    __tablename__ = "refresh_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    family_id: uuid.UUID = Field(index=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    issued_at: datetime = _ts()
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)


class AuditEntry(SQLModel, table=True):
    """Every mutating request: who did what to which resource, and how it ended."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_actor_at", "actor", "at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    at: datetime = _ts(index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=200)
    resource: str = Field(max_length=500)
    method: str = Field(max_length=10)
    request_id: str | None = Field(default=None, max_length=128)
    status_code: int
    outcome: str = Field(max_length=16)
    client_ip: str | None = Field(default=None, max_length=64)
    # The request body with secrets redacted (None when not JSON).
    body: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))


class IdempotencyKey(SQLModel, table=True):
    """The first response to a creating POST, replayed for the same key and body."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "key", name="uq_idempotency_owner_key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # The user id (keys of different users never collide).
    owner: str = Field(max_length=64)
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    # "in_progress" until the first request finishes, then "completed".
    state: str = Field(max_length=16)
    status_code: int | None = None
    response_body: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSONB, nullable=True)
    )
    created_at: datetime = _ts()
    expires_at: datetime = _ts(index=True)
    # While in progress: the attempt holding the key and until when (then a replay may
    # take it over). See gateway/idempotency.py.
    lease_until: datetime | None = _ts(nullable=True)
    holder: uuid.UUID | None = None
