"""Login, tokens, refresh rotation and reuse, logout, /auth/me, 2FA with backup codes."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.security import totp_now

from ..conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TEST_SECRET, Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_login_returns_token_pair_user_and_sets_secure_httponly_cookies(
    gateway: Gateway,
) -> None:
    reply = await gateway.login(ADMIN_EMAIL, ADMIN_PASSWORD)

    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["success"] is True
    data = body["data"]
    assert set(data) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert data["token_type"] == "bearer"
    assert data["expires_in"] == 900
    assert data["user"]["email"] == ADMIN_EMAIL
    assert data["user"]["role"] == "admin"
    assert not {"password_hash", "totp_secret", "backup_code_hashes"} & set(data["user"])
    cookies = reply.headers.get_list("set-cookie")
    access = next(c for c in cookies if c.startswith("access_token="))
    refresh = next(c for c in cookies if c.startswith("refresh_token="))
    for cookie in (access, refresh):
        assert "HttpOnly" in cookie
        assert "Secure" in cookie
        assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    claims = jwt.decode(data["access_token"], TEST_SECRET, algorithms=["HS256"])
    assert set(claims) == {"sub", "role", "jti", "exp", "iat", "type", "ver"}
    assert claims["exp"] - claims["iat"] == 900
    assert claims["type"] == "access"


async def test_wrong_password_and_unknown_email_are_the_same_401(gateway: Gateway) -> None:
    wrong = await gateway.login(ADMIN_EMAIL, "not-the-password")
    unknown = await gateway.login("nobody@cypher.local", "not-the-password")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["code"] == unknown.json()["error"]["code"] == "INVALID_CREDENTIALS"


async def test_me_works_with_bearer_header_and_with_cookie(gateway: Gateway) -> None:
    login = await gateway.login(ADMIN_EMAIL, ADMIN_PASSWORD)  # the client keeps the cookies

    by_cookie = await gateway.client.get("/api/v1/auth/me")
    gateway.client.cookies.clear()
    by_header = await gateway.client.get(
        "/api/v1/auth/me",
        headers={"Authorization": f"Bearer {login.json()['data']['access_token']}"},
    )
    anonymous = await gateway.client.get("/api/v1/auth/me")

    assert by_cookie.status_code == 200, by_cookie.text
    assert by_header.status_code == 200
    assert by_header.json()["data"]["email"] == ADMIN_EMAIL
    assert "users:admin" in by_header.json()["data"]["permissions"]
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHENTICATED"


async def test_expired_access_token_is_401(gateway: Gateway) -> None:
    headers = await gateway.admin()

    gateway.clock.advance(timedelta(minutes=15, seconds=1))
    reply = await gateway.client.get("/api/v1/auth/me", headers=headers)

    assert reply.status_code == 401


async def test_access_token_is_valid_until_its_15_minutes_are_over(gateway: Gateway) -> None:
    headers = await gateway.admin()

    gateway.clock.advance(timedelta(minutes=14, seconds=59))
    reply = await gateway.client.get("/api/v1/auth/me", headers=headers)

    assert reply.status_code == 200


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda t: t[:-3] + ("aaa" if not t.endswith("aaa") else "bbb"), id="bad-sig"),
        pytest.param(
            lambda t: jwt.encode(
                {**jwt.decode(t, options={"verify_signature": False}), "role": "admin"},
                "another-secret-of-sufficient-length-000000",
                algorithm="HS256",
            ),
            id="other-key",
        ),
        pytest.param(
            lambda t: jwt.encode(
                {**jwt.decode(t, options={"verify_signature": False}), "type": "refresh"},
                TEST_SECRET,
                algorithm="HS256",
            ),
            id="wrong-type",
        ),
        pytest.param(lambda t: "not-a-jwt", id="garbage"),
    ],
)
async def test_tampered_or_foreign_tokens_are_401(gateway: Gateway, forge: object) -> None:
    token = await gateway.token()
    forged = forge(token)  # type: ignore[operator]

    reply = await gateway.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}
    )

    assert reply.status_code == 401


async def test_refresh_rotates_and_reusing_an_old_token_revokes_the_whole_family(
    gateway: Gateway,
) -> None:
    first = (await gateway.login(ADMIN_EMAIL, ADMIN_PASSWORD)).json()["data"]["refresh_token"]
    gateway.client.cookies.clear()

    second_reply = await gateway.client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    second = second_reply.json()["data"]["refresh_token"]
    reuse = await gateway.client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    newer = await gateway.client.post("/api/v1/auth/refresh", json={"refresh_token": second})

    assert second_reply.status_code == 200
    assert second != first
    assert reuse.status_code == 401
    assert reuse.json()["error"]["code"] == "REFRESH_TOKEN_REUSED"
    assert newer.status_code == 401


async def test_refresh_reads_the_cookie_when_the_body_has_no_token(gateway: Gateway) -> None:
    await gateway.login(ADMIN_EMAIL, ADMIN_PASSWORD)

    reply = await gateway.client.post("/api/v1/auth/refresh")

    assert reply.status_code == 200, reply.text
    assert reply.json()["data"]["user"]["email"] == ADMIN_EMAIL


async def test_refresh_token_expires_after_seven_days(gateway: Gateway) -> None:
    token = (await gateway.login(ADMIN_EMAIL, ADMIN_PASSWORD)).json()["data"]["refresh_token"]
    gateway.client.cookies.clear()

    gateway.clock.advance(timedelta(days=7, seconds=1))
    reply = await gateway.client.post("/api/v1/auth/refresh", json={"refresh_token": token})

    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "INVALID_REFRESH_TOKEN"


async def test_logout_revokes_the_family_and_clears_cookies(gateway: Gateway) -> None:
    data = (await gateway.login(ADMIN_EMAIL, ADMIN_PASSWORD)).json()["data"]
    headers = {"Authorization": f"Bearer {data['access_token']}"}

    out = await gateway.client.post(
        "/api/v1/auth/logout", json={"refresh_token": data["refresh_token"]}, headers=headers
    )
    gateway.client.cookies.clear()
    refresh = await gateway.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": data["refresh_token"]}
    )

    assert out.status_code == 200
    cleared = out.headers.get_list("set-cookie")
    assert any(c.startswith('access_token=""') or "access_token=;" in c for c in cleared)
    assert any("Max-Age=0" in c or "max-age=0" in c.lower() for c in cleared)
    assert refresh.status_code == 401


async def test_two_factor_setup_enable_login_and_single_use_backup_code(gateway: Gateway) -> None:
    _, headers = await gateway.user_with_role("sales")
    me = (await gateway.client.get("/api/v1/auth/me", headers=headers)).json()["data"]
    email = me["email"]

    setup = (await gateway.client.post("/api/v1/auth/2fa/setup", headers=headers)).json()["data"]
    wrong = await gateway.client.post(
        "/api/v1/auth/2fa/enable", json={"totp_code": "000000"}, headers=headers
    )
    code = totp_now(setup["secret"], at=gateway.clock.now())
    enabled = await gateway.client.post(
        "/api/v1/auth/2fa/enable", json={"totp_code": code}, headers=headers
    )
    without_code = await gateway.login(email, PASSWORD)
    replayed_enable_code = await gateway.login(email, PASSWORD, totp_code=code)
    gateway.clock.advance(timedelta(seconds=30))
    next_code = totp_now(setup["secret"], at=gateway.clock.now())
    with_totp = await gateway.login(email, PASSWORD, totp_code=next_code)
    replayed = await gateway.login(email, PASSWORD, totp_code=next_code)
    backup = setup["backup_codes"][0]
    with_backup = await gateway.login(email, PASSWORD, totp_code=backup)
    backup_again = await gateway.login(email, PASSWORD, totp_code=backup)

    assert setup["otpauth_uri"].startswith("otpauth://totp/")
    assert len(setup["backup_codes"]) == 10
    assert wrong.status_code == 400
    assert enabled.status_code == 200
    assert enabled.json()["data"]["totp_enabled"] is True
    assert without_code.status_code == 401
    assert without_code.json()["error"]["code"] == "TOTP_REQUIRED"
    assert replayed_enable_code.status_code == 401  # a TOTP code works once
    assert with_totp.status_code == 200
    assert replayed.status_code == 401
    assert with_backup.status_code == 200
    assert backup_again.status_code == 401
    assert backup_again.json()["error"]["code"] == "INVALID_TOTP"


async def test_secrets_are_stored_hashed(gateway: Gateway) -> None:
    data = (await gateway.login(ADMIN_EMAIL, ADMIN_PASSWORD)).json()["data"]

    engine = create_async_engine(gateway.settings.database_url)
    try:
        async with engine.connect() as conn:
            pw = (await conn.execute(text("SELECT password_hash FROM users"))).scalar_one()
            hashes = list(
                (await conn.execute(text("SELECT token_hash FROM refresh_tokens"))).scalars()
            )
    finally:
        await engine.dispose()

    assert pw.startswith("$argon2id$")
    assert ADMIN_PASSWORD not in pw
    assert data["refresh_token"] not in hashes
    assert len(hashes) == 1
