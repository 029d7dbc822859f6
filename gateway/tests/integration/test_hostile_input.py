"""Issue 13, the gateway's rows: hostile input never reaches a 5xx, and access changes
take effect. Each test is one row of the issue's table (or one rule of "what to build")."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from sqlmodel import col, select

from cypher_runtime.clock import FixedClock
from cypher_runtime.db import Database
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import free_port
from gateway import identity
from gateway.app import create_app
from gateway.errors import ApiError
from gateway.middleware import RequestContextMiddleware
from gateway.rbac import Role
from gateway.schemas import UserUpdate
from gateway.settings import GatewaySettings
from gateway.tables import User

from ..conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _fields(reply: httpx.Response) -> dict[str, str]:
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["metadata"]["request_id"]
    return dict(body["error"]["details"]["fields"])


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/products?category=%00",
        "/api/v1/products?search=a%00b",
        "/api/v1/products?supplier_id=%01",
        "/api/v1/customers?search=%00",
        "/api/v1/pricing/promotions?category=%00",
        "/api/v1/pricing/promotions?sku=%00",
    ],
)
async def test_a_control_character_in_a_query_is_400_naming_it(gateway: Gateway, path: str) -> None:
    fields = _fields(await gateway.client.get(path, headers=await gateway.admin()))

    assert list(fields) == [path.split("?")[1].split("=")[0]]


async def test_a_nul_in_a_body_string_is_400_naming_the_field(gateway: Gateway) -> None:
    admin = await gateway.admin()
    user_id, _ = await gateway.user_with_role("user")

    customer = await gateway.client.post(
        "/api/v1/customers", json={"name": "A\u0000B", "email": "a@b.ro"}, headers=admin
    )
    product = await gateway.client.post(
        "/api/v1/products",
        json={
            "sku": "NUL-1",
            "name": "x",
            "category": "led\u0000",
            "unit": "buc",
            "cost": "1.00",
            "margin_pct": "10",
        },
        headers=admin,
    )
    user = await gateway.client.patch(
        f"/api/v1/users/{user_id}", json={"full_name": "\u0000"}, headers=admin
    )

    assert "name" in _fields(customer)
    assert "category" in _fields(product)
    assert "full_name" in _fields(user)


async def test_a_nul_in_the_login_email_is_400_with_a_request_id(gateway: Gateway) -> None:
    reply = await gateway.client.post(
        "/api/v1/auth/login", json={"email": "a\u0000@b.ro", "password": "whatever-1"}
    )

    assert "email" in _fields(reply)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/v1/products/ANY-SKU"),
        ("PATCH", f"/api/v1/customers/{uuid.uuid4()}"),
        ("POST", f"/api/v1/orders/{uuid.uuid4()}/status"),
    ],
)
async def test_an_integer_beyond_int64_is_400(gateway: Gateway, method: str, path: str) -> None:
    body: dict[str, Any] = {"expected_version": 2**70}
    if path.endswith("/status"):
        body["status"] = "CANCELLED"

    reply = await gateway.client.request(method, path, json=body, headers=await gateway.admin())

    assert "expected_version" in _fields(reply)


async def test_a_cursor_the_users_list_did_not_issue_is_400(gateway: Gateway) -> None:
    admin = await gateway.admin()
    for cursor in ("WyJ4IiwieSJd", "garbage", "YWRtaW4"):
        reply = await gateway.client.get(f"/api/v1/users?cursor={cursor}", headers=admin)
        assert "page.cursor" in _fields(reply), cursor


async def test_an_integer_is_not_a_boolean(gateway: Gateway) -> None:
    user_id, _ = await gateway.user_with_role("user")

    reply = await gateway.client.patch(
        f"/api/v1/users/{user_id}", json={"is_active": 0}, headers=await gateway.admin()
    )

    assert "is_active" in _fields(reply)


async def test_quote_requests_list_is_not_read_as_an_order_id(gateway: Gateway) -> None:
    # orders is down in this fixture: reaching the list route answers 503, not a 400
    # about an order id.
    reply = await gateway.client.get("/api/v1/orders/quote-requests", headers=await gateway.admin())

    assert reply.status_code == 503, reply.text
    assert reply.json()["error"]["code"] == "UPSTREAM_UNAVAILABLE"


async def test_an_unexpected_error_answers_the_envelope_with_a_request_id() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    app = RequestContextMiddleware(broken)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        reply = await client.get("/x", headers={"X-Request-ID": "req-500"})

    assert reply.status_code == 500
    assert reply.json()["error"]["code"] == "INTERNAL"
    assert reply.json()["metadata"]["request_id"] == "req-500"


@contextlib.asynccontextmanager
async def _served(settings: GatewaySettings, clock: FixedClock) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, clock=clock), host="127.0.0.1", port=port)
    )
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: asyncio.sleep(0, server.started), timeout=30, what="uvicorn")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_deep_json_is_400_and_the_connection_stays_usable(
    gateway_settings: GatewaySettings, clock: FixedClock
) -> None:
    deep = "[" * 600 + "]" * 600
    async with (
        _served(gateway_settings, clock) as url,
        httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=1)) as client,
    ):
        refused = await client.post(
            "/api/v1/auth/login", content=deep, headers={"Content-Type": "application/json"}
        )
        again = await client.get("/api/v1/health")

    assert _fields(refused) == {"body": "nested deeper than 32 levels"}
    assert again.status_code == 200


async def test_admin_cannot_change_its_own_role_or_state(gateway: Gateway) -> None:
    admin = await gateway.admin()
    me = (await gateway.client.get("/api/v1/auth/me", headers=admin)).json()["data"]["id"]

    for change in ({"is_active": False}, {"role": "user"}):
        reply = await gateway.client.patch(f"/api/v1/users/{me}", json=change, headers=admin)
        assert reply.status_code == 403, reply.text
        assert reply.json()["error"]["code"] == "OWN_ACCOUNT"
    assert (await gateway.client.get("/api/v1/auth/me", headers=admin)).status_code == 200


async def test_two_admins_demoting_each_other_leave_one_admin(gateway: Gateway) -> None:
    admin = await gateway.admin()
    other_id, other = await gateway.user_with_role("admin")
    me = (await gateway.client.get("/api/v1/auth/me", headers=admin)).json()["data"]["id"]
    # The bootstrap admin is demoted by the other admin … while it demotes the other.
    replies = await asyncio.gather(
        gateway.client.patch(f"/api/v1/users/{other_id}", json={"role": "user"}, headers=admin),
        gateway.client.patch(f"/api/v1/users/{me}", json={"role": "user"}, headers=other),
    )
    statuses = sorted(r.status_code for r in replies)

    assert statuses[0] == 200, [r.text for r in replies]
    assert statuses[1] in (401, 409), [r.text for r in replies]
    users = (await gateway.client.get("/api/v1/users", headers=await gateway.admin())).json()
    admins = [u for u in users["data"] if u["role"] == "admin" and u["is_active"]]
    assert len(admins) == 1
    # Promote back for the other tests of the session.
    if admins[0]["id"] == other_id:
        restored = await gateway.client.patch(
            f"/api/v1/users/{me}", json={"role": "admin"}, headers=other
        )
        assert restored.status_code == 200, restored.text


async def test_the_last_active_admin_cannot_be_demoted_or_deactivated(gateway: Gateway) -> None:
    # A fresh database: the bootstrap admin is the only admin. Another admin's request
    # cannot exist then, so the rule is driven through identity directly (any actor).
    db = Database(gateway.settings.database_url)
    try:
        for change in (UserUpdate(is_active=False), UserUpdate(role=Role.USER)):
            async with db.sessions() as session:
                admin = (
                    await session.execute(select(User).where(col(User.email) == ADMIN_EMAIL))
                ).scalar_one()
                with pytest.raises(ApiError) as refused:
                    await identity.update_user(
                        session=session,
                        user=admin,
                        data=change,
                        now=gateway.clock.now(),
                        actor_id=str(uuid.uuid4()),
                    )
                assert (refused.value.status_code, refused.value.code) == (409, "LAST_ADMIN")
    finally:
        await db.dispose()


async def test_a_deactivated_or_demoted_users_token_stops_working_within_seconds(
    gateway: Gateway,
) -> None:
    admin = await gateway.admin()
    for change in ({"is_active": False}, {"role": "user"}, {"password": "another-password-1"}):
        user_id, user = await gateway.user_with_role("sales")
        assert (await gateway.client.get("/api/v1/auth/me", headers=user)).status_code == 200

        changed = await gateway.client.patch(f"/api/v1/users/{user_id}", json=change, headers=admin)
        assert changed.status_code == 200, changed.text

        async def status(headers: dict[str, str] = user) -> int:
            return (await gateway.client.get("/api/v1/auth/me", headers=headers)).status_code

        await eventually(status, lambda s: s == 401, timeout=5, what=f"revoked by {change}")
        reply = await gateway.client.get("/api/v1/auth/me", headers=user)
        assert reply.json()["error"]["code"] == "TOKEN_REVOKED"


async def test_cookie_writes_need_the_csrf_token_bearer_writes_do_not(gateway: Gateway) -> None:
    admin = await gateway.admin()
    login = await gateway.login(ADMIN_EMAIL, ADMIN_PASSWORD)  # cookies kept
    csrf = login.cookies.get("csrf_token") or gateway.client.cookies.get("csrf_token")
    assert csrf
    body = {"email": f"c-{uuid.uuid4().hex[:8]}@cypher.local", "password": PASSWORD}
    body |= {"full_name": "C", "role": "user"}

    without = await gateway.client.post("/api/v1/users", json=body)
    wrong = await gateway.client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": "x"})
    with_token = await gateway.client.post(
        "/api/v1/users", json=body, headers={"X-CSRF-Token": csrf}
    )
    gateway.client.cookies.clear()
    bearer = await gateway.client.post(
        "/api/v1/users",
        json={**body, "email": f"b-{uuid.uuid4().hex[:8]}@cypher.local"},
        headers=admin,
    )

    assert (without.status_code, without.json()["error"]["code"]) == (403, "CSRF_FAILED")
    assert wrong.status_code == 403
    assert with_token.status_code == 201, with_token.text
    assert bearer.status_code == 201, bearer.text
