"""Rate limits, audit trail, Idempotency-Key, CORS and security headers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from cypher_runtime.clock import FixedClock
from gateway.settings import GatewaySettings

from ..conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Gateway, start_gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def limited(gateway_settings: GatewaySettings, clock: FixedClock) -> AsyncIterator[Gateway]:
    """The gateway with its default limits (login 5, 2FA 10 / 15 min, writes 30 / min)."""
    async for gw in start_gateway(gateway_settings, clock):
        yield gw


async def _rows(settings: GatewaySettings, sql: str) -> list[dict[str, Any]]:
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(text(sql))]
    finally:
        await engine.dispose()


async def test_sixth_login_in_15_minutes_is_429_with_retry_after(limited: Gateway) -> None:
    replies = [await limited.login(ADMIN_EMAIL, "wrong-password") for _ in range(5)]
    sixth = await limited.login(ADMIN_EMAIL, ADMIN_PASSWORD)

    assert [r.status_code for r in replies] == [401] * 5
    assert [r.headers["RateLimit-Remaining"] for r in replies] == ["4", "3", "2", "1", "0"]
    assert replies[0].headers["RateLimit-Limit"] == "5"
    assert sixth.status_code == 429
    assert sixth.json()["success"] is False
    assert sixth.json()["error"]["code"] == "RATE_LIMITED"
    assert 0 < int(sixth.headers["Retry-After"]) <= 900
    assert sixth.headers["RateLimit-Remaining"] == "0"


async def test_login_limit_of_one_account_does_not_block_another(limited: Gateway) -> None:
    for _ in range(5):
        await limited.login("someone-else@cypher.ro", "wrong-password")

    admin = await limited.login(ADMIN_EMAIL, ADMIN_PASSWORD)

    assert admin.status_code == 200


async def test_api_limit_counts_per_user_and_answers_429_in_the_envelope(
    gateway_settings: GatewaySettings, clock: FixedClock
) -> None:
    settings = gateway_settings.model_copy(update={"rate_limit_api": "3/15 minutes"})
    async for gw in start_gateway(settings, clock):
        headers = {"Authorization": f"Bearer {await gw.token()}"}  # login: 1st API hit (by IP)
        gw.client.cookies.clear()
        replies = [await gw.client.get("/api/v1/auth/me", headers=headers) for _ in range(4)]
        probe = await gw.client.get("/api/v1/health")

        assert [r.status_code for r in replies] == [200, 200, 200, 429]
        assert replies[0].headers["RateLimit-Limit"] == "3"
        assert replies[3].json()["error"]["code"] == "RATE_LIMITED"
        assert "Retry-After" in replies[3].headers
        assert probe.status_code == 200  # probes are never limited


async def test_writes_limit_applies_to_mutating_requests_only(
    gateway_settings: GatewaySettings, clock: FixedClock
) -> None:
    settings = gateway_settings.model_copy(update={"rate_limit_writes": "2/minute"})
    async for gw in start_gateway(settings, clock):
        headers = {"Authorization": f"Bearer {await gw.token()}"}
        gw.client.cookies.clear()
        body = {"full_name": "Admin"}
        me = (await gw.client.get("/api/v1/auth/me", headers=headers)).json()["data"]
        writes = [
            await gw.client.patch(f"/api/v1/users/{me['id']}", json=body, headers=headers)
            for _ in range(3)
        ]
        read = await gw.client.get("/api/v1/auth/me", headers=headers)

        assert [w.status_code for w in writes] == [200, 200, 429]
        assert read.status_code == 200


async def test_2fa_attempts_are_limited(
    gateway_settings: GatewaySettings, clock: FixedClock
) -> None:
    settings = gateway_settings.model_copy(update={"rate_limit_2fa": "2/15 minutes"})
    async for gw in start_gateway(settings, clock):
        headers = await gw.admin()
        await gw.client.post("/api/v1/auth/2fa/setup", headers=headers)
        tries = [
            await gw.client.post(
                "/api/v1/auth/2fa/enable", json={"totp_code": "000000"}, headers=headers
            )
            for _ in range(2)
        ]

        assert [t.status_code for t in tries] == [400, 429]


async def test_every_mutating_request_is_audited_with_secrets_redacted(gateway: Gateway) -> None:
    await gateway.login(ADMIN_EMAIL, "wrong-password")
    headers = await gateway.admin()
    created = await gateway.client.post(
        "/api/v1/users",
        json={"email": "audit@cypher.ro", "password": PASSWORD, "full_name": "A", "role": "user"},
        headers={**headers, "X-Request-ID": "audit-test-1"},
    )
    await gateway.client.get("/api/v1/users", headers=headers)  # a read: not audited
    gateway.client.cookies.clear()
    denied = await gateway.client.post("/api/v1/users", json={})

    rows = await _rows(gateway.settings, "SELECT * FROM audit_log ORDER BY id")

    assert created.status_code == 201
    assert denied.status_code == 401
    assert [(r["action"], r["status_code"], r["outcome"]) for r in rows] == [
        ("POST /api/v1/auth/login", 401, "denied"),
        ("POST /api/v1/auth/login", 200, "success"),
        ("POST /api/v1/users", 201, "success"),
        ("POST /api/v1/users", 401, "denied"),
    ]
    failed_login, login, create, _ = rows
    assert failed_login["actor"] == "anonymous"
    assert failed_login["body"]["password"] == "***"
    assert login["actor"] == create["actor"] != "anonymous"
    assert create["request_id"] == "audit-test-1"
    assert create["resource"] == "/api/v1/users"
    assert create["body"] == {
        "email": "audit@cypher.ro",
        "password": "***",
        "full_name": "A",
        "role": "user",
    }
    assert create["client_ip"] == "127.0.0.1"
    assert all(
        PASSWORD not in str(r["body"]) and ADMIN_PASSWORD not in str(r["body"]) for r in rows
    )


async def test_idempotency_key_replays_the_first_response_and_refuses_another_body(
    gateway: Gateway,
) -> None:
    headers = {**(await gateway.admin()), "Idempotency-Key": "create-ion-1"}
    body = {"email": "ion@cypher.ro", "password": PASSWORD, "full_name": "Ion", "role": "sales"}

    first = await gateway.client.post("/api/v1/users", json=body, headers=headers)
    replay = await gateway.client.post("/api/v1/users", json=body, headers=headers)
    other = await gateway.client.post(
        "/api/v1/users", json={**body, "full_name": "Ion 2"}, headers=headers
    )
    listed = await gateway.client.get("/api/v1/users", headers=await gateway.admin())

    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert [u["email"] for u in listed.json()["data"]].count("ion@cypher.ro") == 1


async def test_idempotency_replays_a_deterministic_error_too(gateway: Gateway) -> None:
    admin = await gateway.admin()
    body = {"email": "twice@cypher.ro", "password": PASSWORD, "full_name": "T", "role": "user"}
    await gateway.client.post("/api/v1/users", json=body, headers=admin)

    keyed = {**admin, "Idempotency-Key": "dup-1"}
    first = await gateway.client.post("/api/v1/users", json=body, headers=keyed)
    again = await gateway.client.post("/api/v1/users", json=body, headers=keyed)

    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()


async def test_idempotency_key_expires_after_24_hours(gateway: Gateway) -> None:
    admin = await gateway.admin()
    headers = {**admin, "Idempotency-Key": "old-key"}
    body = {"email": "old@cypher.ro", "password": PASSWORD, "full_name": "O", "role": "user"}
    await gateway.client.post("/api/v1/users", json=body, headers=headers)

    gateway.clock.advance(timedelta(hours=24, seconds=1))
    headers = {**(await gateway.admin()), "Idempotency-Key": "old-key"}
    reused = await gateway.client.post(
        "/api/v1/users", json={**body, "email": "new@cypher.ro"}, headers=headers
    )

    assert reused.status_code == 201, reused.text  # a new request, not a 422


async def test_concurrent_duplicate_while_the_first_runs_is_409(gateway: Gateway) -> None:
    headers = {**(await gateway.admin()), "Idempotency-Key": "race-1"}
    body = {"email": "race@cypher.ro", "password": PASSWORD, "full_name": "R", "role": "user"}

    replies = await asyncio.gather(
        *(gateway.client.post("/api/v1/users", json=body, headers=headers) for _ in range(4))
    )

    codes = sorted(r.status_code for r in replies)
    assert codes.count(201) >= 1
    assert set(codes) <= {201, 409}
    assert all(
        r.json()["error"]["code"] == "IDEMPOTENCY_IN_PROGRESS"
        for r in replies
        if r.status_code == 409
    )
    created = [r.json() for r in replies if r.status_code == 201]
    assert all(c["data"]["id"] == created[0]["data"]["id"] for c in created)


async def test_security_headers_on_api_and_docs(gateway: Gateway) -> None:
    api = await gateway.client.get("/api/v1/health")
    docs = await gateway.client.get("/docs")

    for reply in (api, docs):
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["X-Frame-Options"] == "DENY"
        assert reply.headers["Referrer-Policy"] == "no-referrer"
        assert "Strict-Transport-Security" not in reply.headers  # development
    assert api.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "cdn.jsdelivr.net" in docs.headers["Content-Security-Policy"]
    assert api.headers["X-Request-ID"]


async def test_hsts_outside_development(
    gateway_settings: GatewaySettings, clock: FixedClock
) -> None:
    settings = gateway_settings.model_copy(update={"env": "production"})
    async for gw in start_gateway(settings, clock):
        reply = await gw.client.get("/api/v1/health")

        assert reply.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_cors_allows_only_the_configured_origins(
    gateway_settings: GatewaySettings, clock: FixedClock
) -> None:
    settings = gateway_settings.model_copy(update={"cors_origins": "https://app.cypher.ro"})
    async for gw in start_gateway(settings, clock):
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Idempotency-Key, Content-Type",
        }
        allowed = await gw.client.options(
            "/api/v1/products", headers={"Origin": "https://app.cypher.ro", **preflight}
        )
        refused = await gw.client.options(
            "/api/v1/products", headers={"Origin": "https://evil.example", **preflight}
        )

        assert allowed.status_code == 200
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.cypher.ro"
        assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
        assert "Access-Control-Allow-Origin" not in refused.headers


async def test_housekeeping_purges_expired_idempotency_keys_and_refresh_tokens(
    gateway: Gateway,
) -> None:
    from gateway import identity

    headers = {**(await gateway.admin()), "Idempotency-Key": "purge-me"}
    body = {"email": "purge@cypher.ro", "password": PASSWORD, "full_name": "P", "role": "user"}
    await gateway.client.post("/api/v1/users", json=body, headers=headers)

    kept = await identity.purge_expired(db=gateway.app.state.db, now=gateway.clock.now())
    purged = await identity.purge_expired(
        db=gateway.app.state.db, now=gateway.clock.now() + timedelta(days=9)
    )

    assert kept == (0, 0)
    assert purged[0] == 1
    assert purged[1] >= 1
    assert await _rows(gateway.settings, "SELECT * FROM idempotency_keys") == []
