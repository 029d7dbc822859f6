"""Identity use cases: users, login (with TOTP or a backup code), refresh-token
rotation with reuse detection, logout, 2FA setup and the bootstrap admin.

Functions take the session keyword-only and commit nothing themselves unless noted:
the route decides the transaction boundary (one request = one transaction)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from cypher_runtime.db import Database
from cypher_runtime.paging import CursorCodec
from gateway import security
from gateway.errors import ApiError
from gateway.rbac import Role
from gateway.schemas import UserCreate, UserUpdate
from gateway.settings import GatewaySettings
from gateway.tables import IdempotencyKey, RefreshToken, User

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key: one bootstrap at a time across every gateway replica.
_BOOTSTRAP_LOCK = 0x6379_7068_6572  # "cypher"


def _unauthenticated(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


# --- users -------------------------------------------------------------------------------


async def get_user(*, session: AsyncSession, user_id: uuid.UUID | str) -> User | None:
    try:
        uid = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(user_id)
    except ValueError:
        return None
    return await session.get(User, uid)


async def get_user_or_raise(*, session: AsyncSession, user_id: uuid.UUID | str) -> User:
    user = await get_user(session=session, user_id=user_id)
    if user is None:
        raise ApiError(404, "USER_NOT_FOUND", "no such user", {"id": str(user_id)})
    return user


async def get_user_by_email(*, session: AsyncSession, email: str) -> User | None:
    found = await session.execute(select(User).where(col(User.email) == email.strip().lower()))
    return found.scalar_one_or_none()


async def create_user(*, session: AsyncSession, data: UserCreate, now: datetime) -> User:
    user = User(
        email=data.email,
        full_name=data.full_name,
        role=data.role.value,
        customer_id=data.customer_id,
        password_hash=security.hash_password(data.password),
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise ApiError(
            409, "EMAIL_TAKEN", "a user with this email exists", {"email": data.email}
        ) from exc
    return user


# Users by email: the one cursor codec of the system (anything it did not issue is a 400).
USERS_CURSOR = CursorCodec("gateway.users", (str,))


async def list_users(
    *, session: AsyncSession, limit: int, cursor: str | None
) -> tuple[list[User], str | None]:
    """Users by email (unique, so a stable keyset cursor)."""
    query = select(User).order_by(col(User.email)).limit(limit + 1)
    if cursor:
        key = USERS_CURSOR.decode(cursor)
        if key is not None:
            query = query.where(col(User.email) > key[0])
    rows = list((await session.execute(query)).scalars())
    page, more = rows[:limit], len(rows) > limit
    return page, (USERS_CURSOR.encode([page[-1].email]) if more and page else None)


async def update_user(
    *, session: AsyncSession, user: User, data: UserUpdate, now: datetime, actor_id: str
) -> User:
    """Change a user. An admin may not change its own role or active state (403
    OWN_ACCOUNT: another admin must), and the last active admin is never demoted or
    deactivated (409 LAST_ADMIN; the active admins are locked, so two admins demoting
    each other at once cannot both succeed)."""
    changes = data.model_dump(exclude_unset=True)
    new_role = data.role.value if data.role is not None else user.role
    new_active = data.is_active if data.is_active is not None else user.is_active
    role_changes, state_changes = new_role != user.role, new_active != user.is_active
    if str(user.id) == actor_id and (role_changes or state_changes):
        raise ApiError(
            403,
            "OWN_ACCOUNT",
            "an admin may not change its own role or active state; another admin must",
        )
    leaves_admins = user.role == Role.ADMIN.value and user.is_active
    if leaves_admins and (new_role != Role.ADMIN.value or not new_active):
        admins = (
            await session.execute(
                select(col(User.id))
                .where(col(User.role) == Role.ADMIN.value, col(User.is_active))
                .with_for_update()
            )
        ).all()
        await session.refresh(user)
        if user.id in {row[0] for row in admins} and len(admins) <= 1:
            raise ApiError(
                409, "LAST_ADMIN", "the last active admin cannot be demoted or deactivated"
            )
    if "full_name" in changes and data.full_name is not None:
        user.full_name = data.full_name
    if "role" in changes and data.role is not None:
        user.role = data.role.value
    if "is_active" in changes and data.is_active is not None:
        user.is_active = data.is_active
    if "password" in changes and data.password is not None:
        user.password_hash = security.hash_password(data.password)
    customer_changes = "customer_id" in changes and data.customer_id != user.customer_id
    if customer_changes:
        user.customer_id = data.customer_id
    user.updated_at = now
    if role_changes or state_changes or customer_changes or data.password is not None:
        # Access tokens issued before are refused from now on (gateway.revocation).
        user.token_version += 1
    # A deactivated user or a changed password ends every session (refresh families).
    if data.is_active is False or data.password is not None:
        await revoke_user_sessions(session=session, user_id=user.id, now=now)
    await session.flush()
    return user


# --- bootstrap admin ---------------------------------------------------------------------


async def bootstrap_admin(*, db: Database, settings: GatewaySettings, now: datetime) -> bool:
    """Create the first admin from CYPHER_ADMIN_EMAIL/PASSWORD when there are no users.

    Race-safe across replicas starting together: the check and the insert run under a
    transaction-scoped advisory lock, so exactly one of them creates the admin."""
    if not settings.admin_email or not settings.admin_password:
        return False
    async with db.sessions() as session, session.begin():
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _BOOTSTRAP_LOCK})
        count = (await session.execute(select(func.count()).select_from(User))).scalar_one()
        if count:
            return False
        session.add(
            User(
                email=settings.admin_email.strip().lower(),
                full_name="Administrator",
                role=Role.ADMIN.value,
                password_hash=security.hash_password(settings.admin_password),
                created_at=now,
                updated_at=now,
            )
        )
    log.info("bootstrap admin created", extra={"email": settings.admin_email})
    return True


# --- login, refresh, logout --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedSession:
    user: User
    access: security.IssuedAccessToken
    refresh_token: str


async def _verify_second_factor(
    *, session: AsyncSession, user: User, code: str, now: datetime
) -> bool:
    """A TOTP code not used before, or a backup code which is consumed. The user row is
    locked, so two concurrent logins cannot both use the same code."""
    locked = (
        await session.execute(select(User).where(col(User.id) == user.id).with_for_update())
    ).scalar_one()
    if locked.totp_secret:
        step = security.totp_step(locked.totp_secret, code, at=now, after=locked.totp_last_step)
        if step is not None:
            locked.totp_last_step = step
            await session.flush()
            return True
    remaining = security.use_backup_code(list(locked.backup_code_hashes), code)
    if remaining is None:
        return False
    locked.backup_code_hashes = remaining
    await session.flush()
    return True


async def authenticate(
    *, session: AsyncSession, email: str, password: str, totp_code: str | None, now: datetime
) -> User:
    user = await get_user_by_email(session=session, email=email)
    # Always run the hash, even for an unknown email: same timing either way.
    password_ok = security.verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.is_active:
        raise _unauthenticated("INVALID_CREDENTIALS", "wrong email or password")
    if user.totp_enabled:
        if not totp_code:
            raise _unauthenticated("TOTP_REQUIRED", "a TOTP or backup code is required")
        if not await _verify_second_factor(session=session, user=user, code=totp_code, now=now):
            raise _unauthenticated("INVALID_TOTP", "wrong TOTP or backup code")
    if security.password_needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    return user


async def issue_session(
    *,
    session: AsyncSession,
    user: User,
    tokens: security.TokenService,
    settings: GatewaySettings,
    now: datetime,
    family_id: uuid.UUID | None = None,
) -> IssuedSession:
    raw = security.new_refresh_token()
    session.add(
        RefreshToken(
            token_hash=security.hash_token(raw),
            family_id=family_id or uuid.uuid4(),
            user_id=user.id,
            issued_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    await session.flush()
    access = tokens.issue_access(
        user_id=str(user.id),
        role=user.role,
        version=user.token_version,
        customer_id=str(user.customer_id) if user.customer_id else None,
    )
    return IssuedSession(user=user, access=access, refresh_token=raw)


class RefreshReused(Exception):
    """An already-rotated refresh token came back: its family is revoked (committed)."""


async def rotate_refresh(
    *,
    session: AsyncSession,
    raw: str,
    tokens: security.TokenService,
    settings: GatewaySettings,
    now: datetime,
) -> IssuedSession:
    """Exchange a refresh token for a new pair in the same family.

    The conditional UPDATE makes "use" atomic: of two concurrent refreshes with one
    token exactly one wins; the loser is treated as reuse, which is the safe side."""
    token_hash = security.hash_token(raw)
    claimed = await session.execute(
        update(RefreshToken)
        .where(
            col(RefreshToken.token_hash) == token_hash,
            col(RefreshToken.used_at).is_(None),
            col(RefreshToken.revoked_at).is_(None),
            col(RefreshToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(RefreshToken.family_id), col(RefreshToken.user_id))
    )
    row = claimed.first()
    if row is None:
        existing = (
            await session.execute(
                select(RefreshToken).where(col(RefreshToken.token_hash) == token_hash)
            )
        ).scalar_one_or_none()
        if existing is not None and existing.used_at is not None and existing.revoked_at is None:
            await revoke_family(session=session, family_id=existing.family_id, now=now)
            await session.commit()
            log.warning(
                "refresh token reuse; family revoked",
                extra={"family_id": str(existing.family_id), "user_id": str(existing.user_id)},
            )
            raise RefreshReused
        raise _unauthenticated("INVALID_REFRESH_TOKEN", "refresh token invalid, expired or revoked")
    family_id, user_id = row
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        await revoke_family(session=session, family_id=family_id, now=now)
        raise _unauthenticated("INVALID_REFRESH_TOKEN", "user inactive")
    return await issue_session(
        session=session, user=user, tokens=tokens, settings=settings, now=now, family_id=family_id
    )


async def revoke_family(*, session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(
            col(RefreshToken.family_id) == family_id,
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )


async def revoke_user_sessions(*, session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(
            col(RefreshToken.user_id) == user_id,
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )


async def logout(*, session: AsyncSession, raw: str | None, now: datetime) -> None:
    """Revoke the family of the presented refresh token (this device's session)."""
    if not raw:
        return
    found = (
        await session.execute(
            select(col(RefreshToken.family_id)).where(
                col(RefreshToken.token_hash) == security.hash_token(raw)
            )
        )
    ).scalar_one_or_none()
    if found is not None:
        await revoke_family(session=session, family_id=found, now=now)


# --- two-factor --------------------------------------------------------------------------


async def setup_totp(
    *, session: AsyncSession, user: User, settings: GatewaySettings, now: datetime
) -> tuple[str, str, list[str]]:
    """New secret and backup codes (shown once). 2FA is on only after `enable_totp`."""
    if user.totp_enabled:
        raise ApiError(409, "TOTP_ALREADY_ENABLED", "two-factor authentication is already on")
    secret = security.new_totp_secret()
    codes = security.new_backup_codes(settings.backup_codes_count)
    user.totp_secret = secret
    user.backup_code_hashes = [security.hash_backup_code(c) for c in codes]
    user.updated_at = now
    await session.flush()
    return secret, security.totp_uri(secret, email=user.email, issuer=settings.totp_issuer), codes


async def enable_totp(*, session: AsyncSession, user: User, code: str, now: datetime) -> None:
    if user.totp_enabled:
        raise ApiError(409, "TOTP_ALREADY_ENABLED", "two-factor authentication is already on")
    if not user.totp_secret:
        raise ApiError(409, "TOTP_NOT_SET_UP", "call /auth/2fa/setup first")
    step = security.totp_step(user.totp_secret, code, at=now)
    if step is None:
        raise ApiError(
            400, "INVALID_TOTP", "wrong TOTP code", {"fields": {"totp_code": "wrong code"}}
        )
    user.totp_enabled = True
    user.totp_last_step = step
    user.updated_at = now
    await session.flush()


async def disable_totp(*, session: AsyncSession, user: User, code: str, now: datetime) -> None:
    """Needs a current TOTP or backup code: a stolen access token alone cannot turn 2FA off."""
    if not user.totp_enabled:
        raise ApiError(409, "TOTP_NOT_ENABLED", "two-factor authentication is off")
    if not await _verify_second_factor(session=session, user=user, code=code, now=now):
        raise ApiError(
            400,
            "INVALID_TOTP",
            "wrong TOTP or backup code",
            {"fields": {"totp_code": "wrong code"}},
        )
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    user.backup_code_hashes = []
    user.updated_at = now
    await session.flush()


# --- housekeeping ------------------------------------------------------------------------


async def purge_expired(*, db: Database, now: datetime) -> tuple[int, int]:
    """Delete idempotency keys past their 24 h and refresh tokens past their expiry (a
    day of grace keeps recent reuse detectable). Idempotent: any replica may run it."""
    async with db.sessions() as session, session.begin():
        keys = await session.execute(
            delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) < now)
        )
        tokens = await session.execute(
            delete(RefreshToken).where(col(RefreshToken.expires_at) < now - timedelta(days=1))
        )
    return int(getattr(keys, "rowcount", 0) or 0), int(getattr(tokens, "rowcount", 0) or 0)
