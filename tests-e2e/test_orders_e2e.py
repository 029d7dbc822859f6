"""Orders end to end through the gateway on the running stack (every service a real
process): the fulfilment path with per-line quantities, cancel → stock released,
insufficient stock → 409 with the shortfall, one Idempotency-Key → one order, a kill -9
of orders between the reservation and the confirmation, and 100 concurrent orders for
the last 20 units.

The module restarts the gateway with rate limiting off while it runs (and restores it
after): the concurrency scenario sends 100 writes from one user in a second, which the
per-client limits (tested by the gateway's own tests) would rightly refuse.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from cypher_testkit.catalogue import post_when_known
from cypher_testkit.polling import eventually
from cypher_testkit.processes import console_script
from cypher_testkit.stack import LocalStack

RATE_LIMIT_ENV = "GATEWAY_RATE_LIMIT_ENABLED"
# `orders serve`, and the same with the crash window open (a test seam, not a setting).
ORDERS = [*console_script("orders"), "serve"]
PAUSED_ORDERS = [
    sys.executable,
    str(Path(__file__).parent / "orders_paused_after_reserve.py"),
    "serve",
]


@dataclass
class Api:
    stack: LocalStack
    client: httpx.AsyncClient

    async def ok(self, method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
        reply = await self.client.request(method, path, **kwargs)
        assert reply.status_code == expected, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply.json()["data"]

    async def product(self, cost: str = "10.00") -> str:
        sku = f"E2E-{uuid.uuid4().hex[:8].upper()}"
        await self.ok(
            "POST",
            "/products",
            201,
            json={
                "sku": sku,
                "name": f"LED {sku}",
                "category": "led",
                "unit": "buc",
                "cost": cost,
                "margin_pct": "50",
            },
        )
        return sku

    async def receive(self, sku: str, quantity: int, warehouse: str = "A") -> None:
        """Stock of a product just created: inventory learns the product from pricing's
        event, so the receipt is repeated while it answers 409 PRODUCT_UNKNOWN_YET."""
        receipt = {"sku": sku, "warehouse": warehouse, "quantity": quantity}
        reply = await post_when_known(self.client, "/inventory/receipts", json=receipt)
        assert reply.status_code == 201, f"receipt: {reply.status_code} {reply.text}"

    async def customer(self) -> str:
        data = await self.ok(
            "POST",
            "/customers",
            201,
            json={
                "name": "Lumina SRL",
                "email": f"{uuid.uuid4().hex[:10]}@lumina.ro",
                "vat_code": "RO14399840",
            },
        )
        return str(data["id"])

    async def stock(self, sku: str) -> dict[str, int]:
        return dict((await self.ok("GET", f"/inventory/{sku}"))["totals"])

    def order_body(self, customer_id: str, lines: dict[str, int]) -> dict[str, Any]:
        return {
            "customer_id": customer_id,
            "lines": [{"sku": s, "quantity": q} for s, q in lines.items()],
        }

    async def place(
        self, customer_id: str, lines: dict[str, int], key: str | None = None
    ) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return await self.client.post(
            "/orders", json=self.order_body(customer_id, lines), headers=headers
        )

    async def move(self, order_id: str, status: str) -> dict[str, Any]:
        return dict(await self.ok("POST", f"/orders/{order_id}/status", json={"status": status}))

    async def mismatches(self, skus: list[str]) -> list[Any]:
        data = await self.ok("GET", "/admin/inventory/reconcile", params={"sku": skus})
        return list(data["mismatches"])


async def _restart(
    stack: LocalStack,
    name: str,
    env: dict[str, str | None],
    *,
    args: list[str] | None = None,
) -> None:
    """Restart a process with changed environment variables (and command line)."""
    process = stack.process(name)
    process.terminate()
    if args is not None:
        process.args = args
    for key, value in env.items():
        if value is None:
            process.env.pop(key, None)
        else:
            process.env[key] = value
    process.start()
    await stack.wait_service_ready(name)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(stack: LocalStack) -> AsyncIterator[Api]:
    await _restart(stack, "gateway", {RATE_LIMIT_ENV: "false"})
    token = await stack.admin_token()
    client = httpx.AsyncClient(
        base_url=f"{stack.gateway_url}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    try:
        yield Api(stack, client)
    finally:
        await client.aclose()
        await _restart(stack, "gateway", {RATE_LIMIT_ENV: None})


def quantities(order: dict[str, Any], field: str) -> dict[str, int]:
    return {ln["sku"]: ln[field] for ln in order["lines"]}


async def test_place_prepare_ship_in_two_parts_and_deliver(api: Api) -> None:
    a, b = await api.product(), await api.product("4.00")
    await api.receive(a, 10)
    await api.receive(b, 6, warehouse="B")
    customer = await api.customer()
    reply = await api.place(customer, {a: 4, b: 2}, key=f"flow-{uuid.uuid4()}")
    assert reply.status_code == 201, reply.text
    order = reply.json()["data"]
    assert order["status"] == "ORDER_CONFIRMED"
    assert order["number"].startswith("CMD-")
    assert all(ln["price"] is not None for ln in order["lines"])
    assert order["reservations"][0]["status"] == "CONFIRMED"
    oid = order["id"]
    assert (await api.move(oid, "IN_PREPARATION"))["status"] == "IN_PREPARATION"
    assert (await api.move(oid, "READY_TO_SHIP"))["status"] == "READY_TO_SHIP"

    first = await api.ok(
        "POST", f"/orders/{oid}/shipments", 201, json={"lines": [{"sku": a, "quantity": 3}]}
    )
    assert quantities(first["order"], "shipped_quantity") == {a: 3, b: 0}
    assert first["order"]["status"] == "READY_TO_SHIP"
    too_many = await api.client.post(
        f"/orders/{oid}/shipments", json={"lines": [{"sku": a, "quantity": 2}]}
    )
    assert too_many.status_code == 400, too_many.text
    rest = await api.ok("POST", f"/orders/{oid}/shipments", 201, json={})
    assert quantities(rest["order"], "shipped_quantity") == {a: 4, b: 2}
    assert rest["order"]["status"] == "SHIPPED"

    d1 = await api.ok(
        "POST", f"/orders/{oid}/deliveries", json={"shipment_id": first["shipment"]["id"]}
    )
    assert quantities(d1["order"], "delivered_quantity") == {a: 3, b: 0}
    assert d1["order"]["status"] == "SHIPPED"
    d2 = await api.ok(
        "POST", f"/orders/{oid}/deliveries", json={"shipment_id": rest["shipment"]["id"]}
    )
    assert quantities(d2["order"], "delivered_quantity") == {a: 4, b: 2}
    assert d2["order"]["status"] == "DELIVERED"

    full = await api.ok("GET", f"/orders/{oid}")
    assert [h["to"] for h in full["history"]] == [
        "ORDER_CONFIRMED",
        "IN_PREPARATION",
        "READY_TO_SHIP",
        "SHIPPED",
        "DELIVERED",
    ]
    # inventory committed both shipments: on hand went down, nothing stays reserved
    await eventually(
        lambda: api.stock(a),
        lambda t: t["on_hand"] == 6 and t["reserved"] == 0,
        timeout=30,
        interval=0.3,
        what="shipment committed",
    )
    illegal = await api.client.post(f"/orders/{oid}/status", json={"status": "CANCELLED"})
    assert illegal.status_code == 409
    assert illegal.json()["error"]["code"] == "ILLEGAL_TRANSITION"
    assert illegal.json()["error"]["details"] == {
        "from": "DELIVERED",
        "to": "CANCELLED",
        "allowed": ["INVOICED", "RETURNED"],
    }
    assert await api.mismatches([a, b]) == []


async def test_cancel_releases_the_stock(api: Api) -> None:
    sku = await api.product()
    await api.receive(sku, 5)
    customer = await api.customer()
    reply = await api.place(customer, {sku: 3})
    assert reply.status_code == 201, reply.text
    oid = reply.json()["data"]["id"]
    assert (await api.stock(sku))["available"] == 2
    cancelled = await api.ok("POST", f"/orders/{oid}/cancel", json={"reason": "changed mind"})
    assert cancelled["status"] == "CANCELLED"
    await eventually(
        lambda: api.stock(sku),
        lambda t: t["available"] == 5 and t["reserved"] == 0,
        timeout=30,
        interval=0.3,
        what="stock released",
    )
    assert await api.mismatches([sku]) == []


async def test_insufficient_stock_is_409_with_the_shortfall_and_reserves_nothing(api: Api) -> None:
    a, b = await api.product(), await api.product()
    await api.receive(a, 5)
    await api.receive(b, 1)
    customer = await api.customer()
    reply = await api.place(customer, {a: 2, b: 4})
    assert reply.status_code == 409, reply.text
    error = reply.json()["error"]
    assert error["code"] == "INSUFFICIENT_STOCK"
    assert error["details"]["shortfall"] == {b: 3}
    assert (await api.stock(a))["reserved"] == 0
    assert (await api.stock(b))["reserved"] == 0
    listed = await api.ok("GET", "/orders", params={"customer_id": customer})
    assert listed == []


async def test_the_same_idempotency_key_twice_gives_one_order_and_the_same_response(
    api: Api,
) -> None:
    sku = await api.product()
    await api.receive(sku, 10)
    customer = await api.customer()
    key = f"idem-{uuid.uuid4()}"
    first = await api.place(customer, {sku: 2}, key=key)
    second = await api.place(customer, {sku: 2}, key=key)
    assert first.status_code == second.status_code == 201
    assert second.json()["data"] == first.json()["data"]
    assert (await api.stock(sku))["reserved"] == 2
    listed = await api.ok("GET", "/orders", params={"customer_id": customer})
    assert [o["id"] for o in listed] == [first.json()["data"]["id"]]
    other_body = await api.place(customer, {sku: 3}, key=key)
    assert other_body.status_code == 422


async def test_kill_9_between_reservation_and_confirmation_is_recovered(api: Api) -> None:
    stack = api.stack
    sku = await api.product()
    await api.receive(sku, 10)
    customer = await api.customer()
    orders = stack.process("orders")
    await _restart(stack, "orders", {}, args=PAUSED_ORDERS)  # the crash window open
    key = f"crash-{uuid.uuid4()}"
    try:
        pending = asyncio.create_task(api.place(customer, {sku: 4}, key=key))
        await eventually(
            lambda: api.stock(sku),
            lambda t: t["reserved"] == 4,
            timeout=30,
            interval=0.2,
            what="reservation made",
        )
        orders.kill()  # SIGKILL between the reservation and the confirmation
        interrupted = await pending
        assert interrupted.status_code in (502, 503, 504), interrupted.text
    finally:
        await _restart(stack, "orders", {}, args=ORDERS)

    async def visible() -> list[Any]:
        return list(await api.ok("GET", "/orders", params={"customer_id": customer}))

    # The recoverer's rule: prices stored + live reservation → the order is confirmed.
    listed = await eventually(
        visible, lambda xs: len(xs) == 1, timeout=90, interval=1.0, what="saga recovered"
    )
    order = await api.ok("GET", f"/orders/{listed[0]['id']}")
    assert order["status"] == "ORDER_CONFIRMED"
    assert order["reservations"][0]["status"] == "CONFIRMED"
    assert (await api.stock(sku))["reserved"] == 4
    assert await api.mismatches([sku]) == []
    # The client's retry with its key finds the recovered order, not a second one.
    retry = await api.place(customer, {sku: 4}, key=key)
    assert retry.status_code == 201, retry.text
    assert retry.json()["data"]["id"] == order["id"]
    assert (await api.stock(sku))["reserved"] == 4


async def test_100_concurrent_orders_for_the_last_20_units(api: Api) -> None:
    sku = await api.product()
    await api.receive(sku, 20)
    customer = await api.customer()
    replies = await asyncio.gather(
        *(api.place(customer, {sku: 1}, key=f"rush-{i}-{uuid.uuid4()}") for i in range(100))
    )
    statuses = [r.status_code for r in replies]
    assert statuses.count(201) == 20, statuses
    assert statuses.count(409) == 80, statuses
    assert all(
        r.json()["error"]["code"] == "INSUFFICIENT_STOCK" for r in replies if r.status_code == 409
    )
    totals = await api.stock(sku)
    assert (totals["on_hand"], totals["reserved"], totals["available"]) == (20, 20, 0)
    listed = await api.ok("GET", "/orders", params={"customer_id": customer, "limit": 200})
    assert len(listed) == 20
    assert await api.mismatches([sku]) == []
