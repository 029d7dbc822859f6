"""The invoice, proforma and integration-status routes: the real gateway app (httpx over
ASGI) in front of the real orders, inventory and integration services (in-process, real
gRPC, fresh databases, the module's exchange on the real broker), the session's real
pricing service, and the fake SmartBill of the `cypher-fakes` process over real HTTP."""

from __future__ import annotations

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
from integration.main import MIGRATIONS as INTEGRATION_MIGRATIONS
from integration.main import assemble as assemble_integration
from integration.settings import IntegrationSettings
from inventory.main import MIGRATIONS as INVENTORY_MIGRATIONS
from inventory.main import assemble as assemble_inventory
from inventory.settings import InventorySettings
from orders.main import MIGRATIONS as ORDERS_MIGRATIONS
from orders.main import assemble as assemble_orders
from orders.settings import OrdersSettings

from .conftest import Gateway, PricingService, start_gateway
from .test_orders_routes import new_customer, stocked_product

pytestmark = pytest.mark.asyncio(loop_scope="session")

API = "/api/v1"


@pytest_asyncio.fixture(loop_scope="session")
async def invoicing_gateway(
    database_factory: Callable[[str, Path | None], Awaitable[str]],
    broker_scope: BrokerScope,
    gateway_settings: GatewaySettings,
    pricing_service: PricingService,
    fakes: Fakes,
    clock: FixedClock,
) -> AsyncIterator[Gateway]:
    common: dict[str, Any] = {
        "bind_host": "127.0.0.1",
        "amqp_url": amqp_url(),
        "events_exchange": broker_scope.exchange,
        "queue_prefix": broker_scope.queue_prefix,
        "outbox_poll_seconds": 0.1,
    }
    inventory_port, orders_port, integration_port = free_port(), free_port(), free_port()
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
        )
    ).runtime
    integration = assemble_integration(
        IntegrationSettings(
            database_url=await database_factory("integration", INTEGRATION_MIGRATIONS),
            grpc_port=integration_port,
            http_port=free_port(),
            orders_addr=f"127.0.0.1:{orders_port}",
            pricing_addr=pricing_service.addr,
            smartbill_base_url=fakes.smartbill_api_url + "/",
            smartbill_email=fakes.smartbill_email,
            smartbill_token=fakes.smartbill_token,
            smartbill_cif=fakes.smartbill_cif,
            # Short clocks: a payment is seen within a second, a refusal retried at once.
            payment_poll_seconds=0.5,
            dispatch_idle_seconds=0.2,
            smartbill_refusal_retry_seconds=0.2,
            smartbill_breaker_failures=2,
            smartbill_breaker_reset_seconds=1.0,
            smartbill_timeout_seconds=2.0,
            create_wait_seconds=3.0,
            **common,
        ),
        queue_prefix=broker_scope.queue_prefix,
    ).runtime
    runtimes = (inventory, orders, integration)
    for runtime in runtimes:
        await runtime.start()
    settings = gateway_settings.model_copy(
        update={
            "inventory_addr": f"127.0.0.1:{inventory_port}",
            "orders_addr": f"127.0.0.1:{orders_port}",
            "integration_addr": f"127.0.0.1:{integration_port}",
            "aggregate_part_timeout_seconds": 2.0,
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


async def ok(gw: Gateway, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    reply = await gw.client.request(method, API + path, headers=headers, **kw)
    assert reply.status_code < 300, f"{method} {path}: {reply.status_code} {reply.text}"
    return reply.json()["data"]


async def placed(gw: Gateway, admin: dict[str, str], customer: str, sku: str, qty: int) -> Any:
    return await ok(
        gw,
        "POST",
        "/orders",
        admin,
        json={"customer_id": customer, "lines": [{"sku": sku, "quantity": qty}]},
    )


async def delivered(gw: Gateway, admin: dict[str, str], customer: str, sku: str) -> Any:
    """An order placed, shipped whole and delivered, through the gateway."""
    order = await placed(gw, admin, customer, sku, 3)
    oid = order["id"]
    for status in ("IN_PREPARATION", "READY_TO_SHIP"):
        await ok(gw, "POST", f"/orders/{oid}/status", admin, json={"status": status})
    shipped = await ok(gw, "POST", f"/orders/{oid}/shipments", admin, json={})
    done = await ok(
        gw,
        "POST",
        f"/orders/{oid}/deliveries",
        admin,
        json={"shipment_id": shipped["shipment"]["id"]},
    )
    assert done["order"]["status"] == "DELIVERED"
    return done["order"]


async def invoices_of(gw: Gateway, headers: dict[str, str], order_id: str) -> list[Any]:
    return list(await ok(gw, "GET", "/invoices", headers, params={"order_id": order_id}))


async def smartbill_documents(fakes: Fakes, series: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=fakes.smartbill_url) as control:
        reply = await control.get("/_fake/documents", params={"series": series})
        reply.raise_for_status()
        return list(reply.json())


async def arm(fakes: Fakes, **fault: Any) -> None:
    async with httpx.AsyncClient(base_url=fakes.smartbill_url) as control:
        (await control.post("/_fake/faults", json=fault)).raise_for_status()


async def test_a_delivered_order_is_invoiced_once_paid_and_shown_on_the_order(
    invoicing_gateway: Gateway, broker_scope: BrokerScope, fakes: Fakes
) -> None:
    gw = invoicing_gateway
    admin = await gw.admin()
    _, finance = await gw.user_with_role("finance")
    _, sales = await gw.user_with_role("sales")
    sku = await stocked_product(gw, broker_scope, 10)
    customer = await new_customer(gw, admin)
    order = await delivered(gw, admin, customer, sku)
    oid = order["id"]

    # order.delivered → one invoice, issued in SmartBill's FL series
    found = await eventually(
        lambda: invoices_of(gw, finance, oid),
        lambda docs: len(docs) == 1 and docs[0]["status"] == "ISSUED",
        timeout=30,
        what="the invoice of the delivered order",
    )
    invoice = found[0]
    assert invoice["kind"] == "INVOICE"
    assert invoice["series"] == "FL"
    assert invoice["order_id"] == oid
    assert invoice["totals"] == order["totals"]
    assert invoice["payment_status"] == "UNPAID"
    assert invoice["amount_due"] == order["totals"]["gross"]
    # VAT of the delivery date (today's), as pricing priced the line
    assert [(ln["sku"], ln["quantity"], ln["vat_rate"]) for ln in invoice["lines"]] == [
        (sku, 3, order["lines"][0]["price"]["vat_rate"])
    ]
    assert invoice["pdf_url"] == f"{API}/invoices/{invoice['id']}/pdf"
    in_smartbill = await smartbill_documents(fakes, "FL")
    assert [d["number"] for d in in_smartbill] == [invoice["number"]]

    one = await ok(gw, "GET", f"/invoices/{invoice['id']}", finance)
    assert one["id"] == invoice["id"]
    assert one["number"] == invoice["number"]
    pdf = await gw.client.get(f"{API}/invoices/{invoice['id']}/pdf", headers=finance)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f"FL-{invoice['number']}.pdf" in pdf.headers["content-disposition"]

    # by hand again: the same invoice, nothing new in SmartBill
    again = await gw.client.post(
        f"{API}/invoices", json={"order_id": oid}, headers={**finance, "Idempotency-Key": "inv-1"}
    )
    assert again.status_code == 201, again.text
    assert again.json()["data"]["id"] == invoice["id"]
    assert again.json()["metadata"]["replayed"] is True
    assert len(await smartbill_documents(fakes, "FL")) == 1

    # the order aggregate carries the invoice and its payment state; sales sees it there
    detail = await gw.client.get(f"{API}/orders/{oid}", headers=sales)
    assert detail.status_code == 200, detail.text
    data = detail.json()["data"]
    assert "degraded" not in detail.json()["metadata"]
    assert [i["id"] for i in data["invoices"]] == [invoice["id"]]
    assert data["payment"]["status"] == "UNPAID"
    assert data["payment"]["amount_due"] == order["totals"]["gross"]
    # … but the invoice routes are finance's (and admin's)
    refused = await gw.client.get(f"{API}/invoices", headers=sales)
    assert refused.status_code == 403

    # the customer pays in SmartBill → the poll sees it → the order is PAID
    half = Decimal(order["totals"]["gross"]) / 2
    async with httpx.AsyncClient(base_url=fakes.smartbill_url) as control:
        paid = await control.post(
            "/_fake/payments",
            json={"series": "FL", "number": invoice["number"], "amount": f"{half:.2f}"},
        )
        assert paid.status_code == 200, paid.text
    partly = await eventually(
        lambda: ok(gw, "GET", f"/orders/{oid}", finance),
        lambda o: o["payment"]["status"] == "PARTIALLY_PAID",
        timeout=30,
        what="the partial payment on the order",
    )
    assert Decimal(partly["payment"]["amount_paid"]) == half.quantize(Decimal("0.01"))
    rest = Decimal(order["totals"]["gross"]) - half.quantize(Decimal("0.01"))
    async with httpx.AsyncClient(base_url=fakes.smartbill_url) as control:
        paid = await control.post(
            "/_fake/payments",
            json={"series": "FL", "number": invoice["number"], "amount": f"{rest:.2f}"},
        )
        assert paid.status_code == 200, paid.text
    final = await eventually(
        lambda: ok(gw, "GET", f"/orders/{oid}", finance),
        lambda o: o["status"] == "PAID",
        timeout=30,
        what="the order PAID",
    )
    assert final["payment"]["status"] == "PAID"
    assert final["payment"]["amount_due"] == "0.00"

    status = await ok(gw, "GET", "/integrations/status", finance)
    smartbill = next(s for s in status["systems"] if s["name"] == "smartbill")
    assert smartbill["breaker"]["state"] == "CLOSED"
    assert smartbill["last_success_at"] is not None
    assert smartbill["backlog"]["pending_invoices"] == 0
    assert {r["name"] for r in smartbill["runs"]} >= {"smartbill_payments"}
    assert set(status["backlog"]) >= {"pending_invoices", "unpaid_invoices", "failed_invoices"}

    # a proforma of the same order: two documents, listed a page at a time, newest first
    proforma = await gw.client.post(f"{API}/orders/{oid}/proforma", headers=finance)
    assert proforma.status_code == 201, proforma.text
    first = await gw.client.get(
        f"{API}/invoices", params={"order_id": oid, "limit": 1}, headers=finance
    )
    assert [d["id"] for d in first.json()["data"]] == [proforma.json()["data"]["id"]]
    cursor = first.json()["metadata"]["next_cursor"]
    assert cursor
    second = await gw.client.get(
        f"{API}/invoices", params={"order_id": oid, "limit": 1, "cursor": cursor}, headers=finance
    )
    assert [d["id"] for d in second.json()["data"]] == [invoice["id"]]
    assert second.json()["metadata"]["next_cursor"] is None
    only = await ok(gw, "GET", "/invoices", finance, params={"order_id": oid, "kind": "PROFORMA"})
    assert [d["kind"] for d in only] == ["PROFORMA"]
    garbled = await gw.client.get(f"{API}/invoices", params={"cursor": "zz"}, headers=finance)
    assert garbled.status_code == 400, garbled.text


async def test_bad_requests_are_409s_with_the_reason(
    invoicing_gateway: Gateway, broker_scope: BrokerScope, fakes: Fakes
) -> None:
    gw = invoicing_gateway
    admin = await gw.admin()
    sku = await stocked_product(gw, broker_scope, 20)
    customer = await new_customer(gw, admin)

    # not delivered
    confirmed = await placed(gw, admin, customer, sku, 1)
    early = await gw.client.post(
        f"{API}/invoices", json={"order_id": confirmed["id"]}, headers=admin
    )
    assert early.status_code == 409, early.text
    assert early.json()["error"]["code"] == "ORDER_NOT_INVOICEABLE"
    assert early.json()["error"]["details"]["status"] == "ORDER_CONFIRMED"

    # a proforma for a confirmed order is issued (PF series); for a cancelled one refused
    proforma = await gw.client.post(f"{API}/orders/{confirmed['id']}/proforma", headers=admin)
    assert proforma.status_code == 201, proforma.text
    assert proforma.json()["data"]["kind"] == "PROFORMA"
    assert proforma.json()["data"]["series"] == "PF"
    assert proforma.json()["data"]["total"] == confirmed["totals"]["gross"]
    assert len(await smartbill_documents(fakes, "PF")) == 1
    await ok(gw, "POST", f"/orders/{confirmed['id']}/cancel", admin, json={"reason": "gone"})
    cancelled = await gw.client.post(f"{API}/orders/{confirmed['id']}/proforma", headers=admin)
    assert cancelled.status_code == 201  # the order's one proforma, answered again
    other = await placed(gw, admin, customer, sku, 1)
    await ok(gw, "POST", f"/orders/{other['id']}/cancel", admin, json={"reason": "gone"})
    refused = await gw.client.post(f"{API}/orders/{other['id']}/proforma", headers=admin)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "PROFORMA_NOT_ALLOWED"

    # a customer without an address: the fields are named
    bare = await ok(
        gw,
        "POST",
        "/customers",
        admin,
        json={"name": "Fara Adresa SRL", "email": f"{uuid.uuid4().hex[:8]}@x.ro"},
    )
    order = await delivered(gw, admin, bare["id"], sku)
    missing = await gw.client.post(f"{API}/invoices", json={"order_id": order["id"]}, headers=admin)
    assert missing.status_code == 409, missing.text
    assert missing.json()["error"]["code"] == "CUSTOMER_DATA_INCOMPLETE"
    assert "address.line1" in missing.json()["error"]["details"]["missing"]

    # unknown ids and malformed bodies
    unknown = await gw.client.post(
        f"{API}/invoices", json={"order_id": str(uuid.uuid4())}, headers=admin
    )
    assert unknown.status_code == 404, unknown.text
    assert (await gw.client.get(f"{API}/invoices/{uuid.uuid4()}", headers=admin)).status_code == 404
    bad = await gw.client.post(f"{API}/invoices", json={"order_id": "seven"}, headers=admin)
    assert bad.status_code == 400, bad.text
    extra = await gw.client.post(
        f"{API}/invoices", json={"order_id": str(uuid.uuid4()), "total": 1}, headers=admin
    )
    assert extra.status_code == 400, extra.text
    assert (
        await gw.client.get(f"{API}/invoices", params={"kind": "RECEIPT"}, headers=admin)
    ).status_code == 400


async def test_a_smartbill_refusal_is_a_409_naming_it_never_a_500(
    invoicing_gateway: Gateway, broker_scope: BrokerScope, fakes: Fakes
) -> None:
    gw = invoicing_gateway
    admin = await gw.admin()
    sku = await stocked_product(gw, broker_scope, 5)
    customer = await new_customer(gw, admin)
    # Every invoice creation is refused (errorText in an HTTP 200) while the test runs.
    await arm(fakes, mode="error_text", count=100, method="POST", path="/invoice")
    order = await delivered(gw, admin, customer, sku)
    failed = await eventually(
        lambda: invoices_of(gw, admin, order["id"]),
        lambda docs: len(docs) == 1 and docs[0]["status"] == "FAILED",
        timeout=30,
        what="the refused invoice",
    )
    assert failed[0]["error"]
    reply = await gw.client.post(f"{API}/invoices", json={"order_id": order["id"]}, headers=admin)
    assert reply.status_code == 409, reply.text
    error = reply.json()["error"]
    assert error["code"] == "SMARTBILL_REFUSED"
    assert error["details"]["invoice_id"] == failed[0]["id"]
    assert error["details"]["smartbill_error"]
    assert await smartbill_documents(fakes, "FL") == []


async def test_while_smartbill_is_down_the_invoice_waits_and_goes_out_after(
    invoicing_gateway: Gateway, broker_scope: BrokerScope, fakes: Fakes
) -> None:
    gw = invoicing_gateway
    admin = await gw.admin()
    sku = await stocked_product(gw, broker_scope, 5)
    customer = await new_customer(gw, admin)
    await arm(fakes, mode="http500", count=10_000)  # every SmartBill call, until cleared
    try:
        order = await delivered(gw, admin, customer, sku)
        status = await eventually(
            lambda: ok(gw, "GET", "/integrations/status", admin),
            lambda s: s["systems"][0]["breaker"]["state"] == "OPEN",
            timeout=30,
            what="the SmartBill breaker OPEN",
        )
        smartbill = status["systems"][0]
        assert smartbill["name"] == "smartbill"
        assert smartbill["last_error"]
        # asked by hand meanwhile: accepted and queued (202), no number, no PDF yet
        queued = await gw.client.post(
            f"{API}/invoices", json={"order_id": order["id"]}, headers=admin
        )
        assert queued.status_code == 202, queued.text
        assert queued.json()["data"]["status"] == "PENDING"
        assert queued.json()["data"]["number"] is None
        pdf = await gw.client.get(
            f"{API}/invoices/{queued.json()['data']['id']}/pdf", headers=admin
        )
        assert pdf.status_code == 409, pdf.text
        assert pdf.json()["error"]["code"] == "DOCUMENT_NOT_ISSUED"
        waiting = await ok(gw, "GET", "/integrations/status", admin)
        assert waiting["systems"][0]["backlog"]["pending_invoices"] == 1
    finally:
        await arm(fakes, mode="none")
    found = await eventually(
        lambda: invoices_of(gw, admin, order["id"]),
        lambda docs: docs[0]["status"] == "ISSUED",
        timeout=60,
        what="the invoice issued after SmartBill is back",
    )
    assert found[0]["id"] == queued.json()["data"]["id"]
    assert len(await smartbill_documents(fakes, "FL")) == 1
    closed = await eventually(
        lambda: ok(gw, "GET", "/integrations/status", admin),
        lambda s: s["systems"][0]["breaker"]["state"] == "CLOSED",
        timeout=30,
        what="the SmartBill breaker CLOSED",
    )
    assert closed["systems"][0]["backlog"]["pending_invoices"] == 0
