"""Credentials: argon2id password hashing, JWT access tokens, opaque refresh tokens,
TOTP and one-time backup codes. Pure functions and small classes, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cypher_runtime.clock import Clock, SystemClock

JWT_ALGORITHM = "HS256"
ACCESS = "access"

# argon2id, memory-hard (RFC 9106 "second recommended" profile: 64 MiB, 3 passes).
_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
# Verifying against this when the user does not exist keeps login timing uniform,
# so response time does not reveal which emails have accounts.
_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


class InvalidToken(Exception):
    """The token is malformed, tampered with, expired or of the wrong type."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as far as a verified access token says (no DB read)."""

    user_id: str
    role: str
    jti: str
    expires_at: datetime
    # The user's token version when issued (gateway.revocation).
    version: int = 0
    # The one customer a partner (user or API key) is bound to; None for staff.
    customer_id: str | None = None
    # An API key's scopes (None for a user's session: its role's rights in full).
    scopes: frozenset[str] | None = None
    # The API key's id when the caller is an API key (user_id is then "apikey:<id>").
    key_id: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    token: str
    jti: str
    expires_in: int


class TokenService:
    """Signs and verifies access tokens; the clock is injected so expiry is testable."""

    # Verified tokens are remembered (token string -> principal) so a client's repeated
    # requests skip base64 + JSON + HMAC: PyJWT's decode was ~0.2 ms of every request in
    # the benchmark profile. Safe because the key is the exact token already verified;
    # expiry is still checked on every use. Bounded: cleared when full.
    CACHE_SIZE = 10_000

    def __init__(self, secret: str, *, access_ttl_seconds: int, clock: Clock | None = None) -> None:
        self._secret = secret
        self.access_ttl_seconds = access_ttl_seconds
        self.clock: Clock = clock or SystemClock()
        self._verified: dict[str, Principal] = {}

    def issue_access(
        self, *, user_id: str, role: str, version: int = 0, customer_id: str | None = None
    ) -> IssuedAccessToken:
        now = self.clock.now()
        jti = uuid.uuid4().hex
        claims: dict[str, Any] = {
            "sub": user_id,
            "role": role,
            "jti": jti,
            "type": ACCESS,
            "ver": version,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.access_ttl_seconds)).timestamp()),
        }
        if customer_id is not None:
            # A partner's customer: the ownership checks need no database read.
            claims["cid"] = customer_id
        token = jwt.encode(claims, self._secret, algorithm=JWT_ALGORITHM)
        return IssuedAccessToken(token=token, jti=jti, expires_in=self.access_ttl_seconds)

    def verify_access(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            if cached.expires_at <= self.clock.now():
                raise InvalidToken("token expired")
            return cached
        principal = self._verify(token)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = principal
        return principal

    def _verify(self, token: str) -> Principal:
        try:
            # Time claims are checked against the injected clock, not PyJWT's wall clock.
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[JWT_ALGORITHM],
                options={
                    "require": ["sub", "role", "jti", "exp", "iat", "type"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if claims.get("type") != ACCESS:
            raise InvalidToken("not an access token")
        exp = claims["exp"]
        if not isinstance(exp, int) or exp <= int(self.clock.now().timestamp()):
            raise InvalidToken("token expired")
        return Principal(
            user_id=str(claims["sub"]),
            role=str(claims["role"]),
            jti=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(exp, tz=UTC),
            version=int(claims.get("ver", 0)),
            customer_id=str(claims["cid"]) if claims.get("cid") else None,
        )


def new_refresh_token() -> str:
    """An opaque, unguessable refresh token (256 bits); only its hash is stored."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 suffices for refresh tokens and backup codes' lookup: they are
    high-entropy random values, so there is nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- TOTP and backup codes ---------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, *, email: str, issuer: str) -> str:
    return str(pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer))


TOTP_STEP_SECONDS = 30


def totp_step(secret: str, code: str, *, at: datetime, after: int | None = None) -> int | None:
    """The 30-s time step `code` belongs to: the current step or one either side (clock
    drift of phones), and only a step later than `after` (the last one used), so a code
    seen once — over a shoulder, in a proxy log — cannot be replayed. None = refused."""
    code = code.strip().replace(" ", "")
    if not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(at.timestamp()) // TOTP_STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(str(totp.at(step * TOTP_STEP_SECONDS)), code):
            return step
    return None


def verify_totp(secret: str, code: str, *, at: datetime) -> bool:
    """Whether `code` is valid around `at` (no replay check: see `totp_step`)."""
    return totp_step(secret, code, at=at) is not None


def totp_now(secret: str, *, at: datetime) -> str:
    return str(pyotp.TOTP(secret).at(at))


def new_backup_codes(count: int) -> list[str]:
    """Codes like `4f9a-1c2e-77b0`: 48 random bits each, shown once, stored hashed."""
    return ["-".join(secrets.token_hex(2) for _ in range(3)) for _ in range(count)]


def normalise_backup_code(code: str) -> str:
    return code.strip().lower().replace(" ", "")


def hash_backup_code(code: str) -> str:
    return hash_token(normalise_backup_code(code))


def use_backup_code(stored_hashes: list[str], code: str) -> list[str] | None:
    """The remaining hashes when `code` is one of them (it is consumed), else None."""
    wanted = hash_backup_code(code)
    for i, h in enumerate(stored_hashes):
        if hmac.compare_digest(h, wanted):
            return stored_hashes[:i] + stored_hashes[i + 1 :]
    return None
