"""The customers and orders REST routes: the real gateway app (httpx over ASGI) in front
of the real orders and inventory services (in-process, real gRPC, fresh databases) and
the session's real pricing service; integration is absent, so its part degrades."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from cypher_runtime.clock import FixedClock
from cypher_testkit.broker import BrokerScope, delete_scope
from cypher_testkit.catalogue import announce_products, post_when_known
from cypher_testkit.infra import amqp_url
from cypher_testkit.proxy import free_port
from gateway.settings import GatewaySettings
from inventory.main import MIGRATIONS as INVENTORY_MIGRATIONS
from inventory.main import assemble
from inventory.settings import InventorySettings
from orders.main import MIGRATIONS as ORDERS_MIGRATIONS
from orders.main import assemble as assemble_orders
from orders.settings import OrdersSettings

from .conftest import Gateway, PricingService, start_gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def orders_gateway(
    database_factory: Callable[[str, Path | None], Awaitable[str]],
    broker_scope: BrokerScope,
    gateway_settings: GatewaySettings,
    pricing_service: PricingService,
    clock: FixedClock,
) -> AsyncIterator[Gateway]:
    common: dict[str, Any] = {
        "bind_host": "127.0.0.1",
        "amqp_url": amqp_url(),
        "events_exchange": broker_scope.exchange,
        "queue_prefix": broker_scope.queue_prefix,
    }
    inventory_port, orders_port = free_port(), free_port()
    inventory = assemble(
        InventorySettings(
            database_url=await database_factory("inventory", INVENTORY_MIGRATIONS),
            grpc_port=inventory_port,
            http_port=free_port(),
            **common,
        ),
        queue_prefix=broker_scope.queue_prefix,
    ).runtime
    orders = assemble_orders(
        OrdersSettings(
            database_url=await database_factory("orders", ORDERS_MIGRATIONS),
            grpc_port=orders_port,
            http_port=free_port(),
            pricing_addr=pricing_service.addr,
            inventory_addr=f"127.0.0.1:{inventory_port}",
            **common,
        )
    ).runtime
    await inventory.start()
    await orders.start()
    settings = gateway_settings.model_copy(
        update={
            "inventory_addr": f"127.0.0.1:{inventory_port}",
            "orders_addr": f"127.0.0.1:{orders_port}",
            "rate_limit_api": "10000/minute",
            "rate_limit_writes": "10000/minute",
            "rate_limit_login": "10000/minute",
        }
    )
    try:
        async for gw in start_gateway(settings, clock):
            yield gw
    finally:
        await orders.stop()
        await inventory.stop()
        await delete_scope(
            broker_scope, [c.queue_name for r in (orders, inventory) for c in r.consumers]
        )


async def stocked_product(gw: Gateway, scope: BrokerScope, quantity: int) -> str:
    """A product with stock. This module's pricing publishes on the session's exchange,
    not on the inventory's, so the product is announced to inventory as pricing would."""
    sku = f"LED-{uuid.uuid4().hex[:8]}"
    admin = await gw.admin()
    product = {
        "sku": sku,
        "name": "Panou LED",
        "category": "panels",
        "unit": "buc",
        "cost": "100.00",
        "margin_pct": "25",
    }
    created = await gw.client.post("/api/v1/products", json=product, headers=admin)
    assert created.status_code == 201, created.text
    await announce_products(scope, [sku])
    received = await post_when_known(
        gw.client,
        "/api/v1/inventory/receipts",
        json={"sku": sku, "warehouse": "A", "quantity": quantity},
        headers=admin,
    )
    assert received.status_code == 201, received.text
    return sku


async def new_customer(gw: Gateway, headers: dict[str, str]) -> str:
    reply = await gw.client.post(
        "/api/v1/customers",
        json={
            "name": "Lumina SRL",
            "email": f"{uuid.uuid4().hex[:8]}@lumina.ro",
            "vat_code": "RO14399840",
            "reg_com": "J12/1234/2010",
            "address": {"line1": "Str. Lalelelor 1", "city": "Cluj-Napoca", "county": "Cluj"},
        },
        headers=headers,
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["data"]["id"])


async def test_sales_places_and_each_role_moves_only_its_statuses(
    orders_gateway: Gateway, broker_scope: BrokerScope
) -> None:
    gw = orders_gateway
    _, sales = await gw.user_with_role("sales")
    _, warehouse = await gw.user_with_role("warehouse")
    _, finance = await gw.user_with_role("finance")
    _, reader = await gw.user_with_role("user")
    sku = await stocked_product(gw, broker_scope, 10)
    customer = await new_customer(gw, sales)

    placed = await gw.client.post(
        "/api/v1/orders",
        json={"customer_id": customer, "lines": [{"sku": sku, "quantity": 2}]},
        headers={**sales, "Idempotency-Key": "order-1"},
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()["data"]
    assert order["status"] == "ORDER_CONFIRMED"
    assert order["lines"][0]["price"]["list_price"] == "125.00"
    assert order["totals"]["net"] == order["lines"][0]["price"]["line_net"]
    assert order["reservations"][0]["allocations"] == [
        {"sku": sku, "warehouse": "A", "quantity": 2, "committed_quantity": 0}
    ]
    oid = order["id"]
    replay = await gw.client.post(
        "/api/v1/orders",
        json={"customer_id": customer, "lines": [{"sku": sku, "quantity": 2}]},
        headers={**sales, "Idempotency-Key": "order-1"},
    )
    assert replay.json()["data"]["id"] == oid

    async def move(headers: dict[str, str], status: str) -> int:
        reply = await gw.client.post(
            f"/api/v1/orders/{oid}/status", json={"status": status}, headers=headers
        )
        return reply.status_code

    assert await move(reader, "IN_PREPARATION") == 403
    assert await move(sales, "IN_PREPARATION") == 403
    assert await move(finance, "IN_PREPARATION") == 403
    assert await move(warehouse, "IN_PREPARATION") == 200
    assert await move(warehouse, "CANCELLED") == 403
    assert await move(finance, "PAID") == 409  # allowed role, illegal transition
    assert await move(sales, "CANCELLED") == 200

    full = await gw.client.get(f"/api/v1/orders/{oid}", headers=reader)
    assert full.status_code == 200, full.text
    body = full.json()
    assert [h["to"] for h in body["data"]["history"]] == [
        "ORDER_CONFIRMED",
        "IN_PREPARATION",
        "CANCELLED",
    ]
    assert body["data"]["invoices"] is None
    assert "invoices" in body["metadata"]["degraded"]
    listed = await gw.client.get("/api/v1/orders", params={"status": "CANCELLED"}, headers=reader)
    assert [o["id"] for o in listed.json()["data"]] == [oid]


async def test_insufficient_stock_is_a_409_with_the_shortfall(
    orders_gateway: Gateway, broker_scope: BrokerScope
) -> None:
    gw = orders_gateway
    _, sales = await gw.user_with_role("sales")
    sku = await stocked_product(gw, broker_scope, 1)
    customer = await new_customer(gw, sales)
    reply = await gw.client.post(
        "/api/v1/orders",
        json={"customer_id": customer, "lines": [{"sku": sku, "quantity": 3}]},
        headers=sales,
    )
    assert reply.status_code == 409, reply.text
    assert reply.json()["error"] == {
        "code": "INSUFFICIENT_STOCK",
        "message": reply.json()["error"]["message"],
        "details": {"shortfall": {sku: 2}},
    }


async def test_an_illegal_transition_is_a_409_with_from_to_allowed(
    orders_gateway: Gateway, broker_scope: BrokerScope
) -> None:
    gw = orders_gateway
    admin = await gw.admin()
    sku = await stocked_product(gw, broker_scope, 5)
    customer = await new_customer(gw, admin)
    placed = await gw.client.post(
        "/api/v1/orders",
        json={"customer_id": customer, "lines": [{"sku": sku, "quantity": 1}]},
        headers=admin,
    )
    oid = placed.json()["data"]["id"]
    reply = await gw.client.post(
        f"/api/v1/orders/{oid}/status", json={"status": "DELIVERED"}, headers=admin
    )
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "ILLEGAL_TRANSITION"
    assert reply.json()["error"]["details"] == {
        "from": "ORDER_CONFIRMED",
        "to": "DELIVERED",
        "allowed": ["SUPPLIER_ORDER_PLACED", "IN_PREPARATION", "CANCELLED"],
    }
    unknown = await gw.client.get(f"/api/v1/orders/{uuid.uuid4()}", headers=admin)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "ORDER_NOT_FOUND"


async def test_a_customer_shows_its_tier_and_a_bad_cui_is_a_400(orders_gateway: Gateway) -> None:
    gw = orders_gateway
    _, sales = await gw.user_with_role("sales")
    customer = await new_customer(gw, sales)
    got = await gw.client.get(f"/api/v1/customers/{customer}", headers=sales)
    assert got.status_code == 200, got.text
    data = got.json()["data"]
    assert data["vat_code"] == "RO14399840"
    assert data["reg_com"] == "J12/1234/2010"
    assert data["address"]["city"] == "Cluj-Napoca"
    assert data["tier"] == "STANDARD"
    assert data["monthly_spend"] in ("0", "0.00")
    bad = await gw.client.post(
        "/api/v1/customers",
        json={"name": "X", "email": "x@x.ro", "vat_code": "RO14399841", "reg_com": "12/3"},
        headers=sales,
    )
    assert bad.status_code == 400
    assert {"vat_code", "reg_com"} <= set(bad.json()["error"]["details"]["fields"])
    listed = await gw.client.get("/api/v1/customers", params={"search": "lumina"}, headers=sales)
    assert customer in [c["id"] for c in listed.json()["data"]]
