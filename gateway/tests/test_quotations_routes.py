"""The quotations REST routes: the real gateway app (httpx over ASGI) in front of the real
quotations, orders and inventory services (in-process, real gRPC, fresh databases) and
the session's real pricing service."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pypdf
import pytest
import pytest_asyncio

from cypher_runtime.clock import FixedClock
from cypher_testkit.broker import BrokerScope, delete_scope
from cypher_testkit.catalogue import announce_products, post_when_known
from cypher_testkit.infra import amqp_url
from cypher_testkit.proxy import free_port
from gateway.settings import GatewaySettings
from inventory.main import MIGRATIONS as INVENTORY_MIGRATIONS
from inventory.main import assemble as assemble_inventory
from inventory.settings import InventorySettings
from orders.main import MIGRATIONS as ORDERS_MIGRATIONS
from orders.main import assemble as assemble_orders
from orders.settings import OrdersSettings
from quotations.main import MIGRATIONS as QUOTATIONS_MIGRATIONS
from quotations.main import assemble as assemble_quotations
from quotations.settings import QuotationsSettings

from .conftest import Gateway, PricingService, start_gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def quotations_gateway(
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
        "db_pool_size": 4,
    }
    inventory_port, orders_port, quotations_port = free_port(), free_port(), free_port()
    inventory = assemble_inventory(
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
        ),
        run_recoverer=False,
    ).runtime
    quotations = assemble_quotations(
        QuotationsSettings(
            database_url=await database_factory("quotations", QUOTATIONS_MIGRATIONS),
            grpc_port=quotations_port,
            http_port=free_port(),
            pricing_address=pricing_service.addr,
            orders_address=f"127.0.0.1:{orders_port}",
            **common,
        ),
        run_sweep=False,
    ).runtime
    runtimes = (inventory, orders, quotations)
    for runtime in runtimes:
        await runtime.start()
    settings = gateway_settings.model_copy(
        update={
            "inventory_addr": f"127.0.0.1:{inventory_port}",
            "orders_addr": f"127.0.0.1:{orders_port}",
            "quotations_addr": f"127.0.0.1:{quotations_port}",
            "rate_limit_api": "10000/minute",
            "rate_limit_writes": "10000/minute",
            "rate_limit_login": "10000/minute",
        }
    )
    try:
        async for gw in start_gateway(settings, clock):
            yield gw
    finally:
        for runtime in reversed(runtimes):
            await runtime.stop()
        await delete_scope(broker_scope, [c.queue_name for r in runtimes for c in r.consumers])


async def product(
    gw: Gateway, *, stock: int = 0, cost: str = "100.00", scope: BrokerScope | None = None
) -> str:
    """A product, with `stock` booked in A. This module's pricing publishes on the
    session's exchange, so inventory (on `scope`'s) is told of the product as pricing
    would."""
    sku = f"LED-{uuid.uuid4().hex[:8]}"
    admin = await gw.admin()
    created = await gw.client.post(
        "/api/v1/products",
        json={
            "sku": sku,
            "name": "Panou LED încastrat",
            "category": "panels",
            "unit": "buc",
            "cost": cost,
            "margin_pct": "25",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    if stock:
        assert scope is not None, "stock needs the inventory's broker scope"
        await announce_products(scope, [sku])
        received = await post_when_known(
            gw.client,
            "/api/v1/inventory/receipts",
            json={"sku": sku, "warehouse": "A", "quantity": stock},
            headers=admin,
        )
        assert received.status_code == 201, received.text
    return sku


async def customer(gw: Gateway, headers: dict[str, str]) -> str:
    reply = await gw.client.post(
        "/api/v1/customers",
        json={
            "name": "Ion Popescu",
            "company": "Lumină Și Țară SRL",
            "email": f"{uuid.uuid4().hex[:8]}@lumina.ro",
            "vat_code": "RO14399840",
            "address": {"line1": "Str. Ștefan cel Mare 3", "city": "Iași", "county": "Iași"},
        },
        headers=headers,
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["data"]["id"])


async def test_sales_quotes_sends_accepts_and_converts_readers_only_read(
    quotations_gateway: Gateway, broker_scope: BrokerScope
) -> None:
    gw = quotations_gateway
    _, sales = await gw.user_with_role("sales")
    _, reader = await gw.user_with_role("user")
    _, warehouse = await gw.user_with_role("warehouse")
    sku = await product(gw, stock=10, scope=broker_scope)
    client_id = await customer(gw, sales)
    body = {"customer_id": client_id, "lines": [{"sku": sku, "quantity": 2}], "notes": "Etaj 2"}

    assert (
        await gw.client.post("/api/v1/quotations", json=body, headers=reader)
    ).status_code == 403
    created = await gw.client.post(
        "/api/v1/quotations", json=body, headers={**sales, "Idempotency-Key": "q-1"}
    )
    assert created.status_code == 201, created.text
    q = created.json()["data"]
    assert (q["status"], q["customer"]["company"]) == ("DRAFT", "Lumină Și Țară SRL")
    assert q["lines"][0]["price"]["unit_net"] == "125.00"
    assert q["totals"]["gross"] == q["lines"][0]["price"]["line_gross"]
    replay = await gw.client.post(
        "/api/v1/quotations", json=body, headers={**sales, "Idempotency-Key": "q-1"}
    )
    assert replay.json()["data"]["id"] == q["id"]
    other = await gw.client.post(
        "/api/v1/quotations",
        json={**body, "notes": "altceva"},
        headers={**sales, "Idempotency-Key": "q-1"},
    )
    assert other.status_code == 422
    qid = q["id"]

    accept_draft = await gw.client.post(f"/api/v1/quotations/{qid}/accept", headers=sales)
    assert accept_draft.status_code == 409
    assert accept_draft.json()["error"]["code"] == "ILLEGAL_TRANSITION"
    assert accept_draft.json()["error"]["details"]["allowed_from"] == ["SENT"]
    converted_draft = await gw.client.post(f"/api/v1/quotations/{qid}/convert", headers=sales)
    assert converted_draft.status_code == 409
    assert converted_draft.json()["error"]["details"]["allowed"] == ["ACCEPTED"]

    sent = await gw.client.post(
        f"/api/v1/quotations/{qid}/send", json={"message": "Vă mulțumim"}, headers=sales
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["data"]["valid_until"] is not None
    patched = await gw.client.patch(f"/api/v1/quotations/{qid}", json={"notes": "x"}, headers=sales)
    assert patched.status_code == 409
    assert patched.json()["error"]["code"] == "NOT_DRAFT"
    assert patched.json()["error"]["details"]["allowed"] == ["DRAFT"]

    pdf = await gw.client.get(f"/api/v1/quotations/{qid}/pdf", headers=reader)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert f"{q['number']}.pdf" in pdf.headers["content-disposition"]
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Lumină Și Țară SRL" in text
    assert "125,00" in text
    assert (await gw.client.get(f"/api/v1/quotations/{qid}", headers=warehouse)).status_code == 403

    accepted = await gw.client.post(f"/api/v1/quotations/{qid}/accept", headers=sales)
    assert accepted.json()["data"]["status"] == "ACCEPTED"
    converted = await gw.client.post(f"/api/v1/quotations/{qid}/convert", headers=sales)
    assert converted.status_code == 201, converted.text
    data = converted.json()["data"]
    assert data["order"]["status"] == "ORDER_CONFIRMED"
    assert data["order"]["quotation_id"] == qid
    assert data["order"]["lines"][0]["price"]["unit_net"] == "125.00"
    assert data["order"]["lines"][0]["price_locked"] is True
    assert data["quotation"]["order_id"] == data["order_id"]
    again = await gw.client.post(f"/api/v1/quotations/{qid}/convert", headers=sales)
    assert again.json()["data"]["order_id"] == data["order_id"]

    listed = await gw.client.get(
        "/api/v1/quotations", params={"status": "ACCEPTED", "sku": sku}, headers=reader
    )
    assert [x["id"] for x in listed.json()["data"]] == [qid]
    assert listed.json()["metadata"]["next_cursor"] is None


async def test_bad_input_is_a_400_naming_the_field_and_unknowns_are_404(
    quotations_gateway: Gateway,
) -> None:
    gw = quotations_gateway
    _, sales = await gw.user_with_role("sales")
    sku = await product(gw)
    client_id = await customer(gw, sales)

    async def create(payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        reply = await gw.client.post("/api/v1/quotations", json=payload, headers=sales)
        return reply.status_code, reply.json()["error"] or {}

    status, error = await create({"customer_id": client_id, "lines": []})
    assert (status, error["code"]) == (400, "VALIDATION_ERROR")
    assert "lines" in error["details"]["fields"]
    status, error = await create({"customer_id": client_id, "lines": [{"sku": sku, "quantity": 0}]})
    assert status == 400
    assert "lines.0.quantity" in error["details"]["fields"]
    status, error = await create(
        {"customer_id": client_id, "lines": [{"sku": "NU-EXISTA", "quantity": 1}]}
    )
    assert (status, error["code"]) == (404, "PRODUCT_NOT_FOUND")
    assert "NU-EXISTA" in str(error)
    status, error = await create(
        {"customer_id": str(uuid.uuid4()), "lines": [{"sku": sku, "quantity": 1}]}
    )
    assert (status, error["code"]) == (404, "CUSTOMER_NOT_FOUND")
    listed = await gw.client.get("/api/v1/quotations", params={"status": "NOPE"}, headers=sales)
    assert listed.status_code == 400
    missing = await gw.client.get(f"/api/v1/quotations/{uuid.uuid4()}", headers=sales)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "QUOTATION_NOT_FOUND")

    bulk = await gw.client.post(
        "/api/v1/quotations/bulk",
        json={
            "customer_ids": [client_id, str(uuid.uuid4())],
            "lines": [{"sku": sku, "quantity": 1}, {"sku": sku, "quantity": 2}],
        },
        headers=sales,
    )
    assert bulk.status_code == 201, bulk.text
    result = bulk.json()["data"]
    assert [q["customer_id"] for q in result["quotations"]] == [client_id]
    assert result["quotations"][0]["lines"][0]["quantity"] == 3  # duplicate skus merged
    assert [f["code"] for f in result["failures"]] == ["CUSTOMER_NOT_FOUND"]
