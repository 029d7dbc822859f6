"""The suppliers REST routes: the real gateway app (httpx over ASGI) in front of the real
suppliers service (in-process, real gRPC, fresh PostgreSQL database) scraping the fake
supplier sites over real HTTP, and the real pricing service for products."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from cypher_runtime.clock import FixedClock
from cypher_testkit.broker import BrokerScope, delete_scope
from cypher_testkit.fakes import Fakes
from cypher_testkit.infra import amqp_url
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import free_port
from gateway.settings import GatewaySettings
from suppliers.main import MIGRATIONS as SUPPLIERS_MIGRATIONS
from suppliers.main import assemble
from suppliers.settings import SuppliersSettings

from .conftest import Gateway, start_gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

MASTERLED = {
    "name": "Masterled",
    "feed_format": "CSV",
    "feed_config": {
        "sku_column": "code",
        "name_column": "name",
        "price_column": "price",
        "stock_column": "stock",
    },
    "currency": "RON",
}


@pytest_asyncio.fixture(loop_scope="session")
async def suppliers_gateway(
    database_factory: Callable[[str, Path | None], Awaitable[str]],
    broker_scope: BrokerScope,
    gateway_settings: GatewaySettings,
    clock: FixedClock,
    fakes: Fakes,
) -> AsyncIterator[Gateway]:
    url = await database_factory("suppliers", SUPPLIERS_MIGRATIONS)
    grpc_port = free_port()
    app = assemble(
        SuppliersSettings(
            database_url=url,
            grpc_port=grpc_port,
            http_port=free_port(),
            bind_host="127.0.0.1",
            amqp_url=amqp_url(),
            events_exchange=broker_scope.exchange,
            db_pool_size=4,
            db_max_overflow=4,
            request_timeout_seconds=5,
            retry_backoff_seconds=0.05,
        ),
        queue_prefix=broker_scope.queue_prefix,
        run_scheduler=False,
    )
    await app.runtime.start()
    settings = gateway_settings.model_copy(
        update={
            "suppliers_addr": f"127.0.0.1:{grpc_port}",
            "rate_limit_api": "10000/minute",
            "rate_limit_writes": "10000/minute",
            "rate_limit_login": "10000/minute",
        }
    )
    try:
        async for gw in start_gateway(settings, clock):
            yield gw
    finally:
        await app.scraper.wait_idle()
        await app.runtime.stop()
        await delete_scope(broker_scope, [c.queue_name for c in app.runtime.consumers])


async def site(fakes: Fakes, method: str, path: str, body: Any = None) -> Any:
    async with httpx.AsyncClient(base_url=fakes.suppliers_url, timeout=10) as c:
        reply = await c.request(method, path, json=body)
        reply.raise_for_status()
        return reply.json()


async def synced(gw: Gateway, supplier_id: str, headers: dict[str, str]) -> dict[str, Any]:
    started = await gw.client.post(f"/api/v1/suppliers/{supplier_id}/sync", headers=headers)
    assert started.status_code == 202, started.text
    run_id = started.json()["data"]["id"]

    async def probe() -> dict[str, Any]:
        runs = await gw.client.get(f"/api/v1/suppliers/{supplier_id}/sync-runs", headers=headers)
        return next(r for r in runs.json()["data"] if r["id"] == run_id)

    return await eventually(probe, lambda r: r["status"] != "RUNNING", what="sync finished")


async def test_suppliers_feeds_alerts_and_offers_through_the_api(
    suppliers_gateway: Gateway, fakes: Fakes
) -> None:
    gw = suppliers_gateway
    admin = await gw.admin()
    _, sales = await gw.user_with_role("sales")
    body = {**MASTERLED, "feed_url": f"{fakes.suppliers_url}/masterled/feed.csv"}
    key = {"Idempotency-Key": f"sup-{uuid.uuid4()}"}

    refused = await gw.client.post("/api/v1/suppliers", json=body, headers=sales)
    assert refused.status_code == 403
    created = await gw.client.post("/api/v1/suppliers", json=body, headers={**admin, **key})
    assert created.status_code == 201, created.text
    supplier = created.json()["data"]
    assert supplier["schedule"] == {
        "interval_minutes": 240,
        "window_start_hour": 6,
        "window_end_hour": 22,
        "enabled": True,
    }
    replay = await gw.client.post("/api/v1/suppliers", json=body, headers={**admin, **key})
    assert replay.json()["data"]["id"] == supplier["id"]
    other = await gw.client.post(
        "/api/v1/suppliers", json={**body, "name": "Other"}, headers={**admin, **key}
    )
    assert other.status_code == 422
    bad = await gw.client.post(
        "/api/v1/suppliers",
        json={**body, "name": "Broken", "feed_config": {"sku_column": "code"}},
        headers=admin,
    )
    assert bad.status_code == 400
    assert "feed_config.price_column" in str(bad.json()["error"]["details"])
    unknown_field = await gw.client.post(
        "/api/v1/suppliers", json={**body, "colour": "red"}, headers=admin
    )
    assert unknown_field.status_code == 400

    run = await synced(gw, supplier["id"], admin)
    assert (run["status"], run["items_seen"], run["items_new"]) == ("SUCCEEDED", 36, 36)
    unmapped = await gw.client.get(
        f"/api/v1/suppliers/{supplier['id']}/products",
        params={"unmapped": "true", "limit": 10},
        headers=sales,
    )
    assert len(unmapped.json()["data"]) == 10
    assert unmapped.json()["metadata"]["next_cursor"]
    garbage_cursor = await gw.client.get(
        f"/api/v1/suppliers/{supplier['id']}/products",
        params={"cursor": "not-a-cursor"},
        headers=sales,
    )
    assert garbage_cursor.status_code == 400

    product = await gw.client.post(
        "/api/v1/products",
        json={
            "sku": "LED-PANEL-60",
            "name": "Panou LED 60x60 40W 4000K",
            "category": "panels",
            "unit": "buc",
            "cost": "82.50",
            "margin_pct": "35",
        },
        headers=admin,
    )
    assert product.status_code in (201, 409), product.text
    mapped = await gw.client.post(
        f"/api/v1/suppliers/{supplier['id']}/mappings",
        json={"supplier_sku": "ML000001", "sku": "LED-PANEL-60"},
        headers=admin,
    )
    assert mapped.status_code == 201, mapped.text
    old = Decimal(mapped.json()["data"]["price"])
    new = (old * Decimal("1.15")).quantize(Decimal("0.01"))
    await site(fakes, "PUT", "/_fake/masterled/items/ML000001", {"price": str(new)})
    again = await synced(gw, supplier["id"], admin)
    assert (again["items_changed"], again["price_alerts_raised"]) == (1, 1)

    alerts = await gw.client.get(
        "/api/v1/suppliers/price-alerts", params={"open_only": "true"}, headers=sales
    )
    (alert,) = [a for a in alerts.json()["data"] if a["sku"] == "LED-PANEL-60"]
    assert (alert["old_price"], alert["new_price"]) == (str(old), str(new))
    acked = await gw.client.post(
        f"/api/v1/suppliers/price-alerts/{alert['id']}/acknowledge", headers=admin
    )
    assert acked.json()["data"]["status"] == "ACKNOWLEDGED"

    history = await gw.client.get(
        f"/api/v1/suppliers/{supplier['id']}/products/ML000001/price-history", headers=sales
    )
    assert [p["price"] for p in history.json()["data"]] == [str(new), str(old)]

    offers = await gw.client.get("/api/v1/suppliers/offers/LED-PANEL-60", headers=sales)
    assert [o["supplier_name"] for o in offers.json()["data"]] == ["Masterled"]
    aggregate = await gw.client.get("/api/v1/products/LED-PANEL-60", headers=sales)
    best = aggregate.json()["data"]["best_supplier_offer"]
    assert (best["supplier_name"], best["price"]) == ("Masterled", str(new))
    assert "best_supplier_offer" not in aggregate.json()["metadata"].get("degraded", {})

    patched = await gw.client.patch(
        f"/api/v1/suppliers/{supplier['id']}",
        json={"active": False, "expected_version": supplier["version"]},
        headers=admin,
    )
    assert patched.json()["data"]["active"] is False
    inactive = await gw.client.post(f"/api/v1/suppliers/{supplier['id']}/sync", headers=admin)
    assert inactive.status_code == 409
    stale = await gw.client.patch(
        f"/api/v1/suppliers/{supplier['id']}",
        json={"active": True, "expected_version": supplier["version"]},
        headers=admin,
    )
    assert stale.status_code == 409
    missing = await gw.client.get(f"/api/v1/suppliers/{uuid.uuid4()}", headers=sales)
    assert missing.status_code == 404


async def test_supplier_orders_through_the_api(suppliers_gateway: Gateway, fakes: Fakes) -> None:
    gw = suppliers_gateway
    admin = await gw.admin()
    _, warehouse = await gw.user_with_role("warehouse")
    _, sales = await gw.user_with_role("sales")
    body = {**MASTERLED, "name": "FSL", "feed_url": f"{fakes.suppliers_url}/fsl/export.csv"}
    body["feed_config"] = {
        "delimiter": ";",
        "decimal_comma": "true",
        "sku_column": "Cod",
        "name_column": "Denumire",
        "price_column": "Pret",
        "stock_column": "Stoc",
    }
    supplier = (await gw.client.post("/api/v1/suppliers", json=body, headers=admin)).json()["data"]
    await synced(gw, supplier["id"], admin)
    await gw.client.post(
        f"/api/v1/suppliers/{supplier['id']}/mappings",
        json={"supplier_sku": "FSL.00002", "sku": "LED-BULB-E27"},
        headers=admin,
    )
    order_body = {
        "supplier_id": supplier["id"],
        "lines": [{"sku": "LED-BULB-E27", "quantity": 12, "warehouse": "B"}],
        "draft": True,
    }
    key = {"Idempotency-Key": f"po-{uuid.uuid4()}"}
    refused = await gw.client.post("/api/v1/supplier-orders", json=order_body, headers=sales)
    assert refused.status_code == 403
    created, replayed = await asyncio.gather(
        gw.client.post("/api/v1/supplier-orders", json=order_body, headers={**warehouse, **key}),
        gw.client.post("/api/v1/supplier-orders", json=order_body, headers={**warehouse, **key}),
    )
    ok_one = created if created.status_code == 201 else replayed
    assert ok_one.status_code == 201, (created.text, replayed.text)
    order = ok_one.json()["data"]
    assert order["status"] == "DRAFT"
    assert order["lines"][0]["supplier_sku"] == "FSL.00002"
    listed = await gw.client.get(
        "/api/v1/supplier-orders", params={"sku": "LED-BULB-E27"}, headers=sales
    )
    assert [o["id"] for o in listed.json()["data"]] == [order["id"]]

    illegal = await gw.client.post(
        f"/api/v1/supplier-orders/{order['id']}/status",
        json={"status": "SHIPPED"},
        headers=warehouse,
    )
    assert illegal.status_code == 409
    assert illegal.json()["error"]["details"]["allowed"] == ["CANCELLED", "PLACED"]
    placed = await gw.client.post(
        f"/api/v1/supplier-orders/{order['id']}/status",
        json={"status": "PLACED"},
        headers=warehouse,
    )
    assert placed.json()["data"]["status"] == "PLACED"
    part = await gw.client.post(
        f"/api/v1/supplier-orders/{order['id']}/receipts",
        json={"lines": [{"sku": "LED-BULB-E27", "quantity": 5}]},
        headers=warehouse,
    )
    assert part.json()["data"]["lines"][0]["received_quantity"] == 5
    too_much = await gw.client.post(
        f"/api/v1/supplier-orders/{order['id']}/receipts",
        json={"lines": [{"sku": "LED-BULB-E27", "quantity": 8}]},
        headers=warehouse,
    )
    assert too_much.status_code == 400
    rest = await gw.client.post(
        f"/api/v1/supplier-orders/{order['id']}/receipts",
        json={"lines": [{"sku": "LED-BULB-E27", "quantity": 7}], "warehouse": "C"},
        headers=warehouse,
    )
    assert rest.json()["data"]["status"] == "RECEIVED"
    got = await gw.client.get(f"/api/v1/supplier-orders/{order['id']}", headers=sales)
    assert got.json()["data"]["received_at"] is not None
    bad_status = await gw.client.get(
        "/api/v1/supplier-orders", params={"status": "LOST"}, headers=sales
    )
    assert bad_status.status_code == 400
