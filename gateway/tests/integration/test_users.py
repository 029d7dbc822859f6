"""Admin user management and the bootstrap admin."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from cypher_runtime.clock import FixedClock
from cypher_runtime.db import Database
from gateway import identity
from gateway.settings import GatewaySettings
from gateway.tables import User

from ..conftest import ADMIN_EMAIL, PASSWORD, Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_admin_creates_lists_and_updates_users_without_leaking_hashes(
    gateway: Gateway,
) -> None:
    admin = await gateway.admin()
    created = await gateway.client.post(
        "/api/v1/users",
        json={
            "email": "Ana@Cypher.RO",
            "password": PASSWORD,
            "full_name": "Ana",
            "role": "finance",
        },
        headers=admin,
    )
    user = created.json()["data"]

    listed = await gateway.client.get("/api/v1/users", headers=admin)
    patched = await gateway.client.patch(
        f"/api/v1/users/{user['id']}",
        json={"role": "warehouse", "full_name": "Ana P."},
        headers=admin,
    )

    assert created.status_code == 201, created.text
    assert user["email"] == "ana@cypher.ro"
    assert set(user) == {
        "id",
        "email",
        "full_name",
        "role",
        "is_active",
        "totp_enabled",
        "customer_id",
        "created_at",
        "updated_at",
    }
    assert [u["email"] for u in listed.json()["data"]] == sorted([ADMIN_EMAIL, "ana@cypher.ro"])
    assert listed.json()["metadata"]["next_cursor"] is None
    assert patched.json()["data"]["role"] == "warehouse"
    assert patched.json()["data"]["full_name"] == "Ana P."


async def test_duplicate_email_is_409_case_insensitively(gateway: Gateway) -> None:
    admin = await gateway.admin()
    body = {"email": "dup@cypher.ro", "password": PASSWORD, "full_name": "D", "role": "user"}

    first = await gateway.client.post("/api/v1/users", json=body, headers=admin)
    second = await gateway.client.post(
        "/api/v1/users", json={**body, "email": "DUP@cypher.ro"}, headers=admin
    )

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "EMAIL_TAKEN"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"email": "not-an-email", "password": PASSWORD, "full_name": "X", "role": "user"},
            "email",
        ),
        ({"email": "a@b.ro", "password": "short", "full_name": "X", "role": "user"}, "password"),
        ({"email": "a@b.ro", "password": PASSWORD, "full_name": "X", "role": "root"}, "role"),
    ],
)
async def test_invalid_user_is_400_with_field_errors(
    gateway: Gateway, body: dict[str, str], field: str
) -> None:
    reply = await gateway.client.post("/api/v1/users", json=body, headers=await gateway.admin())

    assert reply.status_code == 400
    assert field in reply.json()["error"]["details"]["fields"]


async def test_users_list_pages_with_a_cursor(gateway: Gateway) -> None:
    admin = await gateway.admin()
    for i in range(3):
        await gateway.client.post(
            "/api/v1/users",
            json={
                "email": f"p{i}@cypher.ro",
                "password": PASSWORD,
                "full_name": "P",
                "role": "user",
            },
            headers=admin,
        )

    first = await gateway.client.get("/api/v1/users?limit=2", headers=admin)
    cursor = first.json()["metadata"]["next_cursor"]
    second = await gateway.client.get(f"/api/v1/users?limit=2&cursor={cursor}", headers=admin)
    too_many = await gateway.client.get("/api/v1/users?limit=201", headers=admin)

    emails = [u["email"] for u in first.json()["data"] + second.json()["data"]]
    assert emails == sorted([ADMIN_EMAIL, "p0@cypher.ro", "p1@cypher.ro", "p2@cypher.ro"])
    assert second.json()["metadata"]["next_cursor"] is None
    assert too_many.status_code == 400


async def test_deactivated_user_cannot_log_in_or_refresh(gateway: Gateway) -> None:
    user_id, _ = await gateway.user_with_role("sales")
    email = (
        await gateway.client.get(f"/api/v1/users/{user_id}", headers=await gateway.admin())
    ).json()["data"]["email"]
    refresh = (await gateway.login(email, PASSWORD)).json()["data"]["refresh_token"]
    gateway.client.cookies.clear()

    await gateway.client.patch(
        f"/api/v1/users/{user_id}", json={"is_active": False}, headers=await gateway.admin()
    )
    login = await gateway.login(email, PASSWORD)
    rotated = await gateway.client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})

    assert login.status_code == 401
    assert rotated.status_code == 401


async def test_unknown_user_is_404(gateway: Gateway) -> None:
    reply = await gateway.client.get(f"/api/v1/users/{uuid.uuid4()}", headers=await gateway.admin())

    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "USER_NOT_FOUND"


async def test_bootstrap_admin_is_created_once_even_by_concurrent_starts(
    gateway_settings: GatewaySettings, gateway: Gateway
) -> None:
    db = Database(gateway_settings.database_url)
    try:
        results = await asyncio.gather(
            *(
                identity.bootstrap_admin(db=db, settings=gateway_settings, now=gateway.clock.now())
                for _ in range(5)
            )
        )
        async with db.sessions() as session:
            count = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    finally:
        await db.dispose()

    # The gateway fixture's own start-up created the admin; nobody creates a second.
    assert results == [False] * 5
    assert count == 1


async def test_bootstrap_admin_races_on_an_empty_table_create_exactly_one(
    gateway_settings: GatewaySettings, clock: FixedClock
) -> None:
    db = Database(gateway_settings.database_url)
    try:
        results = await asyncio.gather(
            *(
                identity.bootstrap_admin(db=db, settings=gateway_settings, now=clock.now())
                for _ in range(5)
            )
        )
        async with db.sessions() as session:
            count = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    finally:
        await db.dispose()

    assert sorted(results) == [False, False, False, False, True]
    assert count == 1
