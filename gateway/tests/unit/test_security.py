"""Password hashing, access tokens (with an injected clock), TOTP and backup codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from cypher_runtime.clock import FixedClock
from gateway import security

SECRET = "unit-test-secret-" + "y" * 32
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_password_hash_is_argon2id_salted_and_verifies() -> None:
    first = security.hash_password("correct horse battery")
    second = security.hash_password("correct horse battery")

    assert first.startswith("$argon2id$")
    assert "m=65536" in first  # memory-hard: 64 MiB
    assert first != second
    assert security.verify_password(first, "correct horse battery")
    assert not security.verify_password(first, "wrong horse battery")


def test_verify_password_without_a_hash_is_false() -> None:
    assert not security.verify_password(None, "anything")
    assert not security.verify_password("not-a-hash", "anything")


def test_access_token_carries_the_claims_and_expires_after_its_ttl() -> None:
    clock = FixedClock(T0)
    tokens = security.TokenService(SECRET, access_ttl_seconds=900, clock=clock)

    issued = tokens.issue_access(user_id="u-1", role="sales")
    principal = tokens.verify_access(issued.token)
    claims = jwt.decode(issued.token, SECRET, algorithms=["HS256"], options={"verify_exp": False})

    assert principal.user_id == "u-1"
    assert principal.role == "sales"
    assert principal.jti == issued.jti == claims["jti"]
    assert claims["type"] == "access"
    assert claims["exp"] - claims["iat"] == 900
    clock.advance(timedelta(seconds=899))
    tokens.verify_access(issued.token)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(security.InvalidToken):
        tokens.verify_access(issued.token)


def test_token_signed_with_another_key_is_refused() -> None:
    clock = FixedClock(T0)
    ours = security.TokenService(SECRET, access_ttl_seconds=900, clock=clock)
    theirs = security.TokenService("z" * 48, access_ttl_seconds=900, clock=clock)

    with pytest.raises(security.InvalidToken):
        ours.verify_access(theirs.issue_access(user_id="u", role="admin").token)


def test_alg_none_token_is_refused() -> None:
    clock = FixedClock(T0)
    tokens = security.TokenService(SECRET, access_ttl_seconds=900, clock=clock)
    claims = {
        "sub": "u",
        "role": "admin",
        "jti": "j",
        "type": "access",
        "iat": int(T0.timestamp()),
        "exp": int(T0.timestamp()) + 60,
    }
    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]

    with pytest.raises(security.InvalidToken):
        tokens.verify_access(unsigned)


def test_token_missing_a_required_claim_is_refused() -> None:
    clock = FixedClock(T0)
    tokens = security.TokenService(SECRET, access_ttl_seconds=900, clock=clock)
    token = jwt.encode(
        {"sub": "u", "role": "admin", "type": "access", "exp": int(T0.timestamp()) + 60},
        SECRET,
        algorithm="HS256",
    )

    with pytest.raises(security.InvalidToken):
        tokens.verify_access(token)


def test_refresh_tokens_are_random_and_stored_as_hashes() -> None:
    a, b = security.new_refresh_token(), security.new_refresh_token()

    assert a != b
    assert len(a) >= 43
    assert security.hash_token(a) != a
    assert security.hash_token(a) == security.hash_token(a)


def test_totp_accepts_the_current_and_adjacent_step_only() -> None:
    secret = security.new_totp_secret()
    code = security.totp_now(secret, at=T0)

    assert security.verify_totp(secret, code, at=T0)
    assert security.verify_totp(secret, code, at=T0 + timedelta(seconds=30))
    assert not security.verify_totp(secret, code, at=T0 + timedelta(minutes=5))
    assert not security.verify_totp(secret, "abcdef", at=T0)


def test_a_backup_code_is_consumed_once() -> None:
    codes = security.new_backup_codes(3)
    hashes = [security.hash_backup_code(c) for c in codes]

    remaining = security.use_backup_code(hashes, codes[1].upper())

    assert remaining is not None
    assert len(remaining) == 2
    assert security.use_backup_code(remaining, codes[1]) is None
    assert security.use_backup_code(hashes, "0000-0000-0000") is None


def test_totp_step_refuses_a_code_of_an_already_used_step() -> None:
    secret = security.new_totp_secret()
    code = security.totp_now(secret, at=T0)

    step = security.totp_step(secret, code, at=T0)

    assert step == int(T0.timestamp()) // 30
    assert security.totp_step(secret, code, at=T0, after=step) is None
    assert security.totp_step(secret, code, at=T0, after=step - 1) == step


def test_a_partner_token_carries_its_customer_and_a_staff_token_none() -> None:
    tokens = security.TokenService("s" * 40, access_ttl_seconds=60)
    partner = tokens.verify_access(
        tokens.issue_access(user_id="p", role="partner", customer_id="c-1").token
    )
    staff = tokens.verify_access(tokens.issue_access(user_id="s", role="sales").token)
    assert partner.customer_id == "c-1"
    assert staff.customer_id is None
