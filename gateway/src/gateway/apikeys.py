"""API keys of machine clients (partner systems, staff automations).

A key is `cyk_<prefix>_<secret>`: 12 hex characters of lookup prefix and 256 random
bits of secret. Only SHA-256 of the whole key is stored: the secret is high-entropy, so
a slow password hash would add latency to every call and no protection. The key is
shown once, in the reply to POST /api-keys.

Rights: the key's role ∩ its scopes (`gateway.rbac.SCOPES`); a partner key is bound to
one customer (`gateway.ownership`). Rotation: several active keys per client are
allowed, so a new key is created, deployed, and the old one deleted (or left to
expire) — both work during the handover.

Revocation: a verified key is remembered per replica for GATEWAY_TOKEN_CHECK_SECONDS
(the same interval as users' token versions, `gateway.revocation`); a DELETE takes
effect at once on the replica that served it and within that interval on every other.
`last_used_at` is written at most once a minute per key and replica (and the UPDATE
itself skips rows written less than a minute ago), so a busy key is not a write per
request.
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database
from gateway.errors import ApiError
from gateway.security import Principal, hash_token
from gateway.tables import ApiKey

KEY_PREFIX = "cyk_"
LAST_USED_EVERY = timedelta(minutes=1)


def new_key() -> tuple[str, str]:
    """(lookup prefix, the full key)."""
    prefix = secrets.token_hex(6)
    return prefix, f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def prefix_of(key: str) -> str | None:
    """The lookup prefix of something that looks like a key, else None."""
    if not key.startswith(KEY_PREFIX):
        return None
    prefix, sep, secret = key[len(KEY_PREFIX) :].partition("_")
    if not sep or len(prefix) != 12 or not secret or len(key) > 200:
        return None
    return prefix


def principal_of(row: ApiKey) -> Principal:
    expires = row.expires_at or datetime.max.replace(tzinfo=row.created_at.tzinfo)
    return Principal(
        user_id=f"apikey:{row.id}",
        role=row.role,
        jti=row.prefix,
        expires_at=expires,
        customer_id=str(row.customer_id) if row.customer_id else None,
        scopes=frozenset(row.scopes),
        key_id=str(row.id),
    )


@dataclass(frozen=True, slots=True)
class _Known:
    secret_hash: str
    principal: Principal
    revoked: bool
    rate_limit_per_minute: int | None


class ApiKeys:
    """Per-replica verification cache of API keys (see the module docstring)."""

    MAX_ENTRIES = 50_000

    def __init__(
        self,
        db_of: Callable[[], Database],
        *,
        clock: Clock,
        ttl_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db_of = db_of
        self._clock = clock
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._seen: dict[str, tuple[float, _Known | None]] = {}
        self._last_written: dict[str, datetime] = {}

    async def verify(self, key: str) -> tuple[Principal, int | None] | None:
        """The principal and per-key rate limit of a valid key; None when unknown,
        wrong, revoked or expired."""
        prefix = prefix_of(key)
        if prefix is None:
            return None
        now_m = self._monotonic()
        cached = self._seen.get(prefix)
        if cached is not None and cached[0] > now_m:
            known = cached[1]
        else:
            known = await self._read(prefix)
            if len(self._seen) >= self.MAX_ENTRIES:
                self._seen.clear()
            self._seen[prefix] = (now_m + self._ttl, known)
        if known is None or known.revoked:
            return None
        if not hmac.compare_digest(known.secret_hash, hash_token(key)):
            return None
        now = self._clock.now()
        if known.principal.expires_at <= now:
            return None
        await self._touch(known.principal, now)
        return known.principal, known.rate_limit_per_minute

    def forget(self, prefix: str) -> None:
        self._seen.pop(prefix, None)

    async def _read(self, prefix: str) -> _Known | None:
        async with self._db_of().sessions() as session:
            row = (
                await session.execute(select(ApiKey).where(col(ApiKey.prefix) == prefix))
            ).scalar_one_or_none()
        if row is None:
            return None
        return _Known(
            secret_hash=row.secret_hash,
            principal=principal_of(row),
            revoked=row.revoked_at is not None,
            rate_limit_per_minute=row.rate_limit_per_minute,
        )

    async def _touch(self, principal: Principal, now: datetime) -> None:
        key_id = principal.key_id or ""
        last = self._last_written.get(key_id)
        if last is not None and now - last < LAST_USED_EVERY:
            return
        self._last_written[key_id] = now
        if len(self._last_written) >= self.MAX_ENTRIES:
            self._last_written.clear()
        async with self._db_of().sessions() as session, session.begin():
            await session.execute(
                update(ApiKey)
                .where(
                    col(ApiKey.id) == uuid.UUID(key_id),
                    or_(
                        col(ApiKey.last_used_at).is_(None),
                        col(ApiKey.last_used_at) < now - LAST_USED_EVERY,
                    ),
                )
                .values(last_used_at=now)
            )


# --- admin use cases (the route decides the transaction) ----------------------------------


async def create_key(
    *,
    session: AsyncSession,
    name: str,
    role: str,
    customer_id: uuid.UUID | None,
    scopes: list[str],
    expires_at: datetime | None,
    rate_limit_per_minute: int | None,
    created_by: str,
    now: datetime,
) -> tuple[ApiKey, str]:
    prefix, key = new_key()
    row = ApiKey(
        prefix=prefix,
        secret_hash=hash_token(key),
        name=name,
        role=role,
        customer_id=customer_id,
        scopes=sorted(set(scopes)),
        rate_limit_per_minute=rate_limit_per_minute,
        created_by=created_by,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return row, key


async def list_keys(
    *, session: AsyncSession, customer_id: uuid.UUID | None, include_revoked: bool
) -> list[ApiKey]:
    query = select(ApiKey).order_by(col(ApiKey.created_at).desc(), col(ApiKey.id))
    if customer_id is not None:
        query = query.where(col(ApiKey.customer_id) == customer_id)
    if not include_revoked:
        query = query.where(col(ApiKey.revoked_at).is_(None))
    return list((await session.execute(query.limit(1000))).scalars())


async def revoke_key(*, session: AsyncSession, key_id: uuid.UUID, now: datetime) -> ApiKey:
    row = await session.get(ApiKey, key_id)
    if row is None:
        raise ApiError(404, "API_KEY_NOT_FOUND", "no such API key", {"id": str(key_id)})
    if row.revoked_at is None:
        row.revoked_at = now
        await session.flush()
    return row
