"""Suppliers end to end through the gateway on the running stack (every service a real
process, the fake supplier sites beside them): the five demo suppliers configured and
scraped as `make dev` does; a Masterled price +15 % on its site → a manual sync → a price
alert → pricing's cost of the product that follows Masterled → the best offer in
`GET /products/{sku}`; an order backordered beyond stock → a DRAFT supplier order at the
best offer's supplier → placed, received → stock rises and the order moves on."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from cypher_testkit.catalogue import post_when_known
from cypher_testkit.polling import eventually
from cypher_testkit.stack import LocalStack

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from seed_suppliers import seed_suppliers  # the demo data of `make dev`

SYNC_TIMEOUT = 60.0


@pytest_asyncio.fixture(loop_scope="session")
async def api(stack: LocalStack) -> AsyncIterator[httpx.AsyncClient]:
    token = await stack.admin_token()
    async with httpx.AsyncClient(
        base_url=f"{stack.gateway_url}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ) as client:
        yield client


async def ok(
    client: httpx.AsyncClient, method: str, path: str, expected: int = 200, **kw: Any
) -> Any:
    reply = await client.request(method, path, **kw)
    assert reply.status_code == expected, f"{method} {path}: {reply.status_code} {reply.text}"
    return reply.json()["data"]


async def site(stack: LocalStack, method: str, path: str, body: Any = None) -> Any:
    async with httpx.AsyncClient(base_url=stack.fakes.suppliers_url, timeout=10) as s:
        reply = await s.request(method, path, json=body)
        reply.raise_for_status()
        return reply.json()


async def supplier_named(api: httpx.AsyncClient, name: str) -> dict[str, Any]:
    suppliers = await ok(api, "GET", "/suppliers", params={"limit": 200})
    return next(s for s in suppliers if s["name"] == name)


async def configured(api: httpx.AsyncClient, stack: LocalStack) -> None:
    """The five demo suppliers, once per stack, exactly as `make dev` loads them."""
    if await ok(api, "GET", "/suppliers", params={"limit": 1}):
        return
    note = await seed_suppliers(api, stack.fakes.suppliers_url, [])
    assert "Masterled (36 items, 5 mapped)" in note, note


async def new_product(api: httpx.AsyncClient, cost: str) -> str:
    sku = f"E2E-{uuid.uuid4().hex[:8].upper()}"
    await ok(
        api,
        "POST",
        "/products",
        201,
        json={
            "sku": sku,
            "name": f"Panou LED {sku}",
            "category": "panels",
            "unit": "buc",
            "cost": cost,
            "margin_pct": "35",
        },
    )
    return sku


async def synced(api: httpx.AsyncClient, supplier_id: str) -> dict[str, Any]:
    run = await ok(api, "POST", f"/suppliers/{supplier_id}/sync", 202)

    async def probe() -> dict[str, Any]:
        runs = await ok(api, "GET", f"/suppliers/{supplier_id}/sync-runs", params={"limit": 10})
        return dict(next(r for r in runs if r["id"] == run["id"]))

    return await eventually(
        probe, lambda r: r["status"] != "RUNNING", what="sync finished", timeout=SYNC_TIMEOUT
    )


async def test_five_suppliers_are_configured_and_scraped(
    api: httpx.AsyncClient, stack: LocalStack
) -> None:
    await configured(api, stack)
    suppliers = await ok(api, "GET", "/suppliers", params={"limit": 200})
    names = {s["name"]: s for s in suppliers}
    assert {"Aca Lighting", "Braytron", "Masterled", "FSL", "Arelux"} <= set(names)
    for name, size in (("Aca Lighting", 48), ("Braytron", 55), ("FSL", 42), ("Arelux", 60)):
        runs = await ok(api, "GET", f"/suppliers/{names[name]['id']}/sync-runs")
        assert runs[-1]["status"] == "SUCCEEDED", (name, runs[-1]["errors"])
        assert runs[-1]["items_seen"] == size, name
    unmapped = await ok(
        api,
        "GET",
        f"/suppliers/{names['Arelux']['id']}/products",
        params={"unmapped": "true", "limit": 200},
    )
    assert len(unmapped) == 56  # 60 listed, 4 are demo products


async def test_masterled_plus_15_percent_reaches_alerts_pricing_and_the_product(
    api: httpx.AsyncClient, stack: LocalStack
) -> None:
    await configured(api, stack)
    masterled = await supplier_named(api, "Masterled")
    sku = await new_product(api, "80.00")
    await ok(
        api,
        "PATCH",
        f"/products/{sku}",
        json={"supplier_id": masterled["id"], "follows_supplier_price": True},
    )
    # ML000006 is listed by Masterled and unmapped so far: it becomes this product.
    mapped = await ok(
        api,
        "POST",
        f"/suppliers/{masterled['id']}/mappings",
        201,
        json={"supplier_sku": "ML000006", "sku": sku},
    )
    old = Decimal(mapped["price"])
    new = (old * Decimal("1.15")).quantize(Decimal("0.01"))
    await site(stack, "PUT", "/_fake/masterled/items/ML000006", {"price": str(new), "stock": 25})

    run = await synced(api, masterled["id"])
    assert run["status"] == "SUCCEEDED"
    assert run["items_changed"] >= 1
    assert run["price_alerts_raised"] >= 1

    alerts = await ok(api, "GET", "/suppliers/price-alerts", params={"sku": sku})
    (alert,) = alerts
    assert (alert["old_price"], alert["new_price"], alert["status"]) == (str(old), str(new), "OPEN")
    assert abs(Decimal(alert["change_pct"]) - 15) < Decimal("0.1")

    async def cost() -> Decimal:
        return Decimal((await ok(api, "GET", f"/products/{sku}"))["cost"])

    assert await eventually(cost, lambda c: c == new, what="pricing follows Masterled") == new

    product = await ok(api, "GET", f"/products/{sku}")
    best = product["best_supplier_offer"]
    assert best is not None
    assert (best["supplier_name"], best["supplier_sku"], best["price"]) == (
        "Masterled",
        "ML000006",
        str(new),
    )
    acked = await ok(api, "POST", f"/suppliers/price-alerts/{alert['id']}/acknowledge")
    assert acked["status"] == "ACKNOWLEDGED"


async def test_a_backorder_becomes_a_supplier_order_and_its_receipt_moves_the_order_on(
    api: httpx.AsyncClient, stack: LocalStack
) -> None:
    await configured(api, stack)
    fsl = await supplier_named(api, "FSL")
    sku = await new_product(api, "20.00")
    await ok(
        api,
        "POST",
        f"/suppliers/{fsl['id']}/mappings",
        201,
        json={"supplier_sku": "FSL.00010", "sku": sku},
    )
    # Inventory learns the new product from pricing's event: repeat while it is on its way.
    receipt = {"sku": sku, "warehouse": "A", "quantity": 2}
    booked = await post_when_known(api, "/inventory/receipts", json=receipt)
    assert booked.status_code == 201, booked.text
    customer = await ok(
        api,
        "POST",
        "/customers",
        201,
        json={"name": "Lumina SRL", "email": f"{uuid.uuid4().hex[:10]}@lumina.ro"},
    )
    order = await ok(
        api,
        "POST",
        "/orders",
        201,
        json={
            "customer_id": customer["id"],
            "lines": [{"sku": sku, "quantity": 5}],
            "allow_backorder": True,
        },
        headers={"Idempotency-Key": f"bo-{uuid.uuid4()}"},
    )

    async def drafts() -> list[Any]:
        return list(await ok(api, "GET", "/supplier-orders", params={"sku": sku}))

    (draft,) = await eventually(drafts, lambda d: len(d) == 1, what="a DRAFT supplier order")
    assert draft["status"] == "DRAFT"
    assert draft["supplier_id"] == fsl["id"]
    assert draft["order_id"] == order["id"]
    assert [(x["sku"], x["supplier_sku"], x["quantity"]) for x in draft["lines"]] == [
        (sku, "FSL.00010", 3)
    ]

    placed = await ok(
        api, "POST", f"/supplier-orders/{draft['id']}/status", json={"status": "PLACED"}
    )
    assert placed["status"] == "PLACED"

    async def order_status() -> str:
        return str((await ok(api, "GET", f"/orders/{order['id']}"))["status"])

    await eventually(order_status, lambda s: s == "SUPPLIER_ORDER_PLACED", what="order follows")
    before = (await ok(api, "GET", f"/inventory/{sku}"))["totals"]
    received = await ok(
        api,
        "POST",
        f"/supplier-orders/{draft['id']}/receipts",
        json={"lines": [{"sku": sku, "quantity": 3}]},
    )
    assert received["status"] == "RECEIVED"

    async def on_hand() -> int:
        return int((await ok(api, "GET", f"/inventory/{sku}"))["totals"]["on_hand"])

    assert await eventually(on_hand, lambda n: n == before["on_hand"] + 3, what="stock rises")
    await eventually(
        order_status,
        lambda s: s not in ("ORDER_CONFIRMED", "SUPPLIER_ORDER_PLACED"),
        what="the order moves on",
    )
