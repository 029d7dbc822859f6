"""A re-run after a lease take-over applies nothing twice, for each creating route that
was not idempotent below the gateway before: inventory receipts, adjustments, transfers,
order returns and promotions. The gateway forwards its Idempotency-Key (per user) and
the service recognises the repeat.

Each case: the request runs once through the gateway (the service commits); then its key
is put back "in progress" with an expired lease and no outcome — what a gateway killed
after the upstream call, or one whose database went away before the outcome was written,
leaves behind. The replay takes the key over and runs the request again: it answers
201 with the first run's ids, and the effect exists once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from cypher_runtime.db import Database
from cypher_testkit.broker import BrokerScope

from .conftest import Gateway
from .test_orders_routes import new_customer, orders_gateway, stocked_product

__all__ = ["orders_gateway"]  # the fixture, shared with test_orders_routes

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def lose_outcome(gw: Gateway, key: str) -> None:
    """The key as a dead attempt leaves it: in progress, lease over, no outcome."""
    db: Database = gw.app.state.db
    async with db.engine.begin() as conn:
        changed = await conn.execute(
            text(
                "UPDATE idempotency_keys SET state = 'in_progress', status_code = NULL,"
                " response_body = NULL, lease_until = :now WHERE key = :k"
            ),
            {"k": key, "now": gw.clock.now()},
        )
        assert changed.rowcount == 1


async def run_twice(
    gw: Gateway, path: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    """The request, then its re-run after a take-over (no stored outcome to replay)."""
    key = f"takeover-{uuid.uuid4().hex}"
    keyed = {**headers, "Idempotency-Key": key}
    first = await gw.client.post(path, json=body, headers=keyed)
    assert first.status_code == 201, first.text
    await lose_outcome(gw, key)
    rerun = await gw.client.post(path, json=body, headers=keyed)
    assert rerun.status_code == 201, rerun.text
    assert "Idempotent-Replayed" not in rerun.headers  # really run again, not replayed
    return first, rerun


async def movements(gw: Gateway, sku: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    reply = await gw.client.get(f"/api/v1/inventory/{sku}/movements", headers=headers)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["data"])


async def on_hand(gw: Gateway, sku: str, headers: dict[str, str]) -> dict[str, int]:
    reply = await gw.client.get(f"/api/v1/inventory/{sku}", headers=headers)
    assert reply.status_code == 200, reply.text
    return {w["warehouse"]: w["on_hand"] for w in reply.json()["data"]["warehouses"]}


async def test_stock_writes_rerun_after_a_takeover_apply_once(
    orders_gateway: Gateway, broker_scope: BrokerScope
) -> None:
    gw = orders_gateway
    admin = await gw.admin()
    sku = await stocked_product(gw, broker_scope, 10)  # one receipt of 10 in A

    first, rerun = await run_twice(
        gw,
        "/api/v1/inventory/receipts",
        {"sku": sku, "warehouse": "A", "quantity": 5, "reference": "DN-7"},
        admin,
    )
    assert rerun.json()["data"]["movement"]["id"] == first.json()["data"]["movement"]["id"]
    assert await on_hand(gw, sku, admin) == {"A": 15}

    first, rerun = await run_twice(
        gw,
        "/api/v1/inventory/adjustments",
        {"sku": sku, "warehouse": "A", "delta": -3, "reason": "broken in transit"},
        admin,
    )
    assert rerun.json()["data"]["movement"]["id"] == first.json()["data"]["movement"]["id"]
    assert await on_hand(gw, sku, admin) == {"A": 12}

    first, rerun = await run_twice(
        gw,
        "/api/v1/inventory/transfers",
        {"sku": sku, "from_warehouse": "A", "to_warehouse": "B", "quantity": 4},
        admin,
    )
    ids = [m["id"] for m in first.json()["data"]["movements"]]
    assert [m["id"] for m in rerun.json()["data"]["movements"]] == ids
    assert await on_hand(gw, sku, admin) == {"A": 8, "B": 4}
    assert len(await movements(gw, sku, admin)) == 5  # 2 receipts, 1 adjustment, out + in


async def test_a_return_rerun_after_a_takeover_is_recorded_once(
    orders_gateway: Gateway, broker_scope: BrokerScope
) -> None:
    gw = orders_gateway
    admin = await gw.admin()
    sku = await stocked_product(gw, broker_scope, 5)
    customer = await new_customer(gw, admin)
    placed = await gw.client.post(
        "/api/v1/orders",
        json={"customer_id": customer, "lines": [{"sku": sku, "quantity": 3}]},
        headers=admin,
    )
    assert placed.status_code == 201, placed.text
    oid = placed.json()["data"]["id"]
    for status in ("IN_PREPARATION", "READY_TO_SHIP"):
        moved = await gw.client.post(
            f"/api/v1/orders/{oid}/status", json={"status": status}, headers=admin
        )
        assert moved.status_code == 200, moved.text
    shipped = await gw.client.post(f"/api/v1/orders/{oid}/shipments", json={}, headers=admin)
    assert shipped.status_code == 201, shipped.text

    first, rerun = await run_twice(
        gw,
        f"/api/v1/orders/{oid}/returns",
        {"lines": [{"sku": sku, "quantity": 1}], "reason": "scratched"},
        admin,
    )
    assert rerun.json()["data"]["status"] == "RETURNED"
    assert rerun.json()["data"]["returns"] == first.json()["data"]["returns"]
    order = await gw.client.get(f"/api/v1/orders/{oid}", headers=admin)
    assert len(order.json()["data"]["returns"]) == 1
    assert [ln["returned_quantity"] for ln in order.json()["data"]["lines"]] == [1]


async def test_a_promotion_rerun_after_a_takeover_is_created_once(
    orders_gateway: Gateway, broker_scope: BrokerScope
) -> None:
    gw = orders_gateway
    admin = await gw.admin()
    sku = await stocked_product(gw, broker_scope, 1)
    now = datetime.now(UTC)
    first, rerun = await run_twice(
        gw,
        "/api/v1/pricing/promotions",
        {
            "name": "Spring",
            "sku": sku,
            "discount_pct": "10",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=7)).isoformat(),
        },
        admin,
    )
    assert rerun.json()["data"]["id"] == first.json()["data"]["id"]
    listed = await gw.client.get("/api/v1/pricing/promotions", params={"sku": sku}, headers=admin)
    assert listed.status_code == 200, listed.text
    assert [p["id"] for p in listed.json()["data"]] == [first.json()["data"]["id"]]
