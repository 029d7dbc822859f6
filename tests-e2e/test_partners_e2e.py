"""Partners end to end on the running stack (every service a real process): an admin
creates two customers and an API key for each; each partner places and lists orders
and sees only its own; a guessed id of the other's order or quotation is a 404; a
revoked key is a 401 within seconds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from cypher_testkit.catalogue import post_when_known
from cypher_testkit.polling import eventually
from cypher_testkit.stack import LocalStack

SCOPES = ["catalogue:read", "orders:read", "orders:write", "quotations:read", "invoices:read"]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def admin(stack: LocalStack) -> AsyncIterator[httpx.AsyncClient]:
    token = await stack.admin_token()
    async with httpx.AsyncClient(
        base_url=f"{stack.gateway_url}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ) as client:
        yield client


async def _ok(client: httpx.AsyncClient, method: str, path: str, expected: int, **kw: Any) -> Any:
    reply = await client.request(method, path, **kw)
    assert reply.status_code == expected, f"{method} {path}: {reply.status_code} {reply.text}"
    return reply.json()["data"]


async def test_two_partner_keys_see_only_their_own_orders_and_a_revoked_key_is_refused(
    stack: LocalStack, admin: httpx.AsyncClient
) -> None:
    sku = f"PRT-{uuid.uuid4().hex[:8].upper()}"
    product = {"sku": sku, "name": "LED", "category": "led", "unit": "buc", "cost": "10.00"}
    await _ok(admin, "POST", "/products", 201, json={**product, "margin_pct": "50"})
    receipt = {"sku": sku, "warehouse": "A", "quantity": 50}
    received = await post_when_known(admin, "/inventory/receipts", json=receipt)
    assert received.status_code == 201, received.text
    customers = []
    for name in ("Alfa SRL", "Beta SRL"):
        body = {"name": name, "email": f"{uuid.uuid4().hex[:10]}@{name[:4].lower()}.ro"}
        customers.append((await _ok(admin, "POST", "/customers", 201, json=body))["id"])
    keys = []
    for customer in customers:
        spec = {"name": f"ERP of {customer}", "customer_id": customer, "scopes": SCOPES}
        keys.append(await _ok(admin, "POST", "/api-keys", 201, json=spec))
    listed_keys = await admin.get("/api-keys")
    assert all(k["key"] not in listed_keys.text for k in keys)  # shown once

    partners = [
        httpx.AsyncClient(
            base_url=f"{stack.gateway_url}/api/v1", headers={"X-API-Key": k["key"]}, timeout=60
        )
        for k in keys
    ]
    # The second one authenticates with the other header form.
    partners[1].headers.pop("X-API-Key")
    partners[1].headers["Authorization"] = f"Bearer {keys[1]['key']}"
    try:
        orders: list[list[str]] = [[], []]
        for i, partner in enumerate(partners):
            for _ in range(2):
                lines = {"lines": [{"sku": sku, "quantity": 1}]}
                order = await _ok(partner, "POST", "/orders", 201, json=lines)
                assert order["customer_id"] == customers[i]
                orders[i].append(order["id"])
        for i, partner in enumerate(partners):
            mine = await _ok(partner, "GET", "/orders", 200)
            assert sorted(o["id"] for o in mine) == sorted(orders[i])
            other = orders[1 - i][0]
            for path in (f"/orders/{other}", f"/orders/{other}/history"):
                guessed = await partner.get(path)
                assert guessed.status_code == 404, guessed.text
                assert guessed.json()["error"]["code"] == "ORDER_NOT_FOUND"
            named = await partner.get("/orders", params={"customer_id": customers[1 - i]})
            assert named.status_code == 404
            cancel = await partner.post(f"/orders/{other}/cancel", json={"reason": "x"})
            assert cancel.status_code == 404
            staff = await partner.get("/dashboard")
            assert staff.status_code == 403

        # A quotation of customer B: B reads it, A gets the 404 of a missing one.
        async def quote() -> httpx.Response:
            body = {"customer_id": customers[1], "lines": [{"sku": sku, "quantity": 3}]}
            return await admin.post("/quotations", json=body)

        made = await eventually(quote, lambda r: r.status_code == 201, what="quotation")
        qid = made.json()["data"]["id"]
        assert (await partners[1].get(f"/quotations/{qid}")).status_code == 200
        probe = await partners[0].get(f"/quotations/{qid}")
        assert probe.status_code == 404
        assert probe.json()["error"]["code"] == "QUOTATION_NOT_FOUND"
        assert [q["id"] for q in await _ok(partners[0], "GET", "/quotations", 200)] == []

        # Revocation: refused within the gateway's check interval (2 s by default).
        await _ok(admin, "DELETE", f"/api-keys/{keys[0]['id']}", 200)

        async def status() -> int:
            return (await partners[0].get("/orders")).status_code

        await eventually(status, lambda s: s == 401, timeout=10, what="revoked key refused")
        assert (await partners[1].get("/orders")).status_code == 200
        # Staff still see both partners' orders.
        everything = await _ok(admin, "GET", "/orders", 200, params={"limit": 200})
        assert set(orders[0] + orders[1]) <= {o["id"] for o in everything}
    finally:
        for partner in partners:
            await partner.aclose()
