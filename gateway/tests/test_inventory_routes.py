"""The inventory REST routes: the real gateway app (httpx over ASGI) in front of the real
inventory service (in-process, real gRPC, fresh PostgreSQL database)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

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

from .conftest import Gateway, start_gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def inventory_gateway(
    database_factory: Callable[[str, Path | None], Awaitable[str]],
    broker_scope: BrokerScope,
    gateway_settings: GatewaySettings,
    clock: FixedClock,
) -> AsyncIterator[Gateway]:
    url = await database_factory("inventory", INVENTORY_MIGRATIONS)
    grpc_port = free_port()
    runtime = assemble(
        InventorySettings(
            database_url=url,
            grpc_port=grpc_port,
            http_port=free_port(),
            bind_host="127.0.0.1",
            amqp_url=amqp_url(),
            events_exchange=broker_scope.exchange,
        ),
        queue_prefix=broker_scope.queue_prefix,
    ).runtime
    await runtime.start()
    settings = gateway_settings.model_copy(
        update={
            "inventory_addr": f"127.0.0.1:{grpc_port}",
            "rate_limit_api": "10000/minute",
            "rate_limit_writes": "10000/minute",
            "rate_limit_login": "10000/minute",
        }
    )
    try:
        async for gw in start_gateway(settings, clock):
            yield gw
    finally:
        await runtime.stop()
        await delete_scope(broker_scope, [c.queue_name for c in runtime.consumers])


def new_sku() -> str:
    return f"LED-{uuid.uuid4().hex[:8]}"


async def catalogued(scope: BrokerScope) -> str:
    """A sku pricing announced (inventory stocks only products of the catalogue)."""
    sku = new_sku()
    await announce_products(scope, [sku])
    return sku


async def test_warehouse_books_goods_and_everyone_reads_stock(
    inventory_gateway: Gateway, broker_scope: BrokerScope
) -> None:
    gw = inventory_gateway
    _, warehouse = await gw.user_with_role("warehouse")
    _, sales = await gw.user_with_role("sales")
    sku = await catalogued(broker_scope)

    for wh, qty in (("A", 5), ("c", 4)):
        created = await post_when_known(
            gw.client,
            "/api/v1/inventory/receipts",
            json={"sku": sku, "warehouse": wh, "quantity": qty, "reference": "NIR-1"},
            headers=warehouse,
        )
        assert created.status_code == 201, created.text
    assert created.json()["data"]["movement"]["type"] == "receipt"

    moved = await gw.client.post(
        "/api/v1/inventory/transfers",
        json={"sku": sku, "from_warehouse": "A", "to_warehouse": "B", "quantity": 2},
        headers=warehouse,
    )
    assert moved.status_code == 201, moved.text
    adjusted = await gw.client.post(
        "/api/v1/inventory/adjustments",
        json={"sku": sku, "warehouse": "C", "delta": -1, "reason": "broken in transit"},
        headers=warehouse,
    )
    assert adjusted.status_code == 201, adjusted.text

    stock = await gw.client.get(f"/api/v1/inventory/{sku}", headers=sales)
    assert stock.status_code == 200, stock.text
    body = stock.json()
    assert body["success"] is True
    assert [
        (w["warehouse"], w["on_hand"], w["reserved"], w["available"], w["low_stock_threshold"])
        for w in body["data"]["warehouses"]
    ] == [("A", 3, 0, 3, 3), ("B", 2, 0, 2, 3), ("C", 3, 0, 3, 3)]
    assert body["data"]["totals"] == {"on_hand": 8, "reserved": 0, "available": 8}

    first = await gw.client.get(f"/api/v1/inventory/{sku}/movements?limit=3", headers=sales)
    assert first.status_code == 200, first.text
    assert len(first.json()["data"]) == 3
    cursor = first.json()["metadata"]["next_cursor"]
    assert cursor
    rest = await gw.client.get(
        f"/api/v1/inventory/{sku}/movements", params={"cursor": cursor}, headers=sales
    )
    assert [m["type"] for m in rest.json()["data"]] == ["receipt", "receipt"]
    assert rest.json()["metadata"]["next_cursor"] is None
    actors = {m["actor"] for m in first.json()["data"] + rest.json()["data"]}
    assert len(actors) == 1
    assert actors != {"system"}  # the gateway passes the user on as the actor

    low = await gw.client.get("/api/v1/inventory/low-stock?warehouse=B", headers=sales)
    assert sku in {i["sku"] for i in low.json()["data"]}
    warehouses = await gw.client.get("/api/v1/warehouses", headers=sales)
    assert [w["code"] for w in warehouses.json()["data"]] == ["A", "B", "C"]


async def test_bad_input_is_400_with_field_errors_and_changes_nothing(
    inventory_gateway: Gateway,
) -> None:
    gw = inventory_gateway
    _, warehouse = await gw.user_with_role("warehouse")
    sku = new_sku()
    zero = await gw.client.post(
        "/api/v1/inventory/receipts",
        json={"sku": sku, "warehouse": "A", "quantity": 0},
        headers=warehouse,
    )
    assert zero.status_code == 400
    assert "quantity" in zero.json()["error"]["details"]["fields"]
    no_reason = await gw.client.post(
        "/api/v1/inventory/adjustments",
        json={"sku": sku, "warehouse": "A", "delta": 0, "reason": " "},
        headers=warehouse,
    )
    assert no_reason.status_code == 400
    assert set(no_reason.json()["error"]["details"]["fields"]) == {"delta", "reason"}
    stock = await gw.client.get(f"/api/v1/inventory/{sku}", headers=warehouse)
    assert stock.json()["data"]["totals"]["on_hand"] == 0


async def test_upstream_errors_keep_their_codes(
    inventory_gateway: Gateway, broker_scope: BrokerScope
) -> None:
    gw = inventory_gateway
    _, warehouse = await gw.user_with_role("warehouse")
    sku = await catalogued(broker_scope)
    booked = await post_when_known(
        gw.client,
        "/api/v1/inventory/receipts",
        json={"sku": sku, "warehouse": "A", "quantity": 2},
        headers=warehouse,
    )
    assert booked.status_code == 201, booked.text
    short = await gw.client.post(
        "/api/v1/inventory/transfers",
        json={"sku": sku, "from_warehouse": "A", "to_warehouse": "B", "quantity": 5},
        headers=warehouse,
    )
    assert short.status_code == 409
    assert short.json()["error"]["code"] == "INSUFFICIENT_STOCK"
    assert short.json()["error"]["details"] == {"shortfall": {sku: 3}}
    unknown = await gw.client.post(
        "/api/v1/inventory/receipts",
        json={"sku": sku, "warehouse": "Z", "quantity": 1},
        headers=warehouse,
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "UNKNOWN_WAREHOUSE"
    negative = await gw.client.post(
        "/api/v1/inventory/adjustments",
        json={"sku": sku, "warehouse": "A", "delta": -3, "reason": "count"},
        headers=warehouse,
    )
    assert negative.status_code == 409
    assert negative.json()["error"]["code"] == "NEGATIVE_STOCK"


async def test_roles_sales_reads_warehouse_writes_admin_reconciles(
    inventory_gateway: Gateway,
) -> None:
    gw = inventory_gateway
    _, sales = await gw.user_with_role("sales")
    _, warehouse = await gw.user_with_role("warehouse")
    refused = await gw.client.post(
        "/api/v1/inventory/receipts",
        json={"sku": new_sku(), "warehouse": "A", "quantity": 1},
        headers=sales,
    )
    assert refused.status_code == 403
    not_admin = await gw.client.get("/api/v1/admin/inventory/reconcile", headers=warehouse)
    assert not_admin.status_code == 403
    report = await gw.client.post(
        "/api/v1/admin/inventory/reconcile", json={}, headers=await gw.admin()
    )
    assert report.status_code == 200, report.text
    assert report.json()["data"]["mismatches"] == []


async def test_a_receipt_for_a_sku_outside_the_catalogue_is_a_409_until_pricing_announces_it(
    inventory_gateway: Gateway, broker_scope: BrokerScope
) -> None:
    gw = inventory_gateway
    _, warehouse = await gw.user_with_role("warehouse")
    sku = new_sku()
    receipt = {"sku": sku, "warehouse": "A", "quantity": 3}

    refused = await gw.client.post("/api/v1/inventory/receipts", json=receipt, headers=warehouse)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "PRODUCT_UNKNOWN_YET"
    assert refused.json()["error"]["details"] == {"skus": [sku]}
    for path, body in (
        (
            "/api/v1/inventory/adjustments",
            {"sku": sku, "warehouse": "A", "delta": 1, "reason": "x"},
        ),
        (
            "/api/v1/inventory/transfers",
            {"sku": sku, "from_warehouse": "A", "to_warehouse": "B", "quantity": 1},
        ),
    ):
        other = await gw.client.post(path, json=body, headers=warehouse)
        assert (other.status_code, other.json()["error"]["code"]) == (409, "PRODUCT_UNKNOWN_YET")
    stock = await gw.client.get(f"/api/v1/inventory/{sku}", headers=warehouse)
    assert stock.json()["data"]["totals"]["on_hand"] == 0

    await announce_products(broker_scope, [sku])
    booked = await post_when_known(
        gw.client, "/api/v1/inventory/receipts", json=receipt, headers=warehouse
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["data"]["stock"]["on_hand"] == 3


async def test_a_cursor_the_list_did_not_issue_is_a_400(inventory_gateway: Gateway) -> None:
    gw = inventory_gateway
    _, sales = await gw.user_with_role("sales")
    for path in (f"/api/v1/inventory/{new_sku()}/movements", "/api/v1/inventory/low-stock"):
        for cursor in ("garbage", "WyJ4IiwieSJd", "W10"):
            reply = await gw.client.get(path, params={"cursor": cursor}, headers=sales)
            assert reply.status_code == 400, (path, cursor, reply.text)
            assert "page.cursor" in reply.json()["error"]["details"]["fields"]
