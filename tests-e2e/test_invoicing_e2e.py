"""Invoicing end to end through the gateway on the running stack (every service a real
process, SmartBill the local fake at its real paths and 30-calls-per-10-s limit):
place → ship → deliver → exactly one SmartBill invoice with the order's lines, VAT and
totals, visible at GET /invoices?order_id= and in GET /orders/{id}; a `timeout` fault on
the create → still one invoice and no gap in the FL series; SmartBill down for a while →
the invoice goes out when it is back, the breaker seen OPEN then CLOSED at
/integrations/status; a payment recorded in SmartBill → the order PAID within a poll;
40 deliveries at once → every one invoiced and never a 403 block from SmartBill.

The module restarts the integration service with short clocks (payment poll, breaker,
SmartBill timeout; production values are minutes) and restores it afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio

from cypher_testkit.catalogue import post_when_known
from cypher_testkit.polling import eventually
from cypher_testkit.stack import LocalStack

pytestmark = pytest.mark.asyncio(loop_scope="session")

POLL_SECONDS = 2.0
SHORT_CLOCKS = {
    # the payment poll (production: 900 s) — "within one poll interval"
    "INTEGRATION_PAYMENT_POLL_SECONDS": str(POLL_SECONDS),
    # SmartBill calls give up after 2 s (the `timeout` fault answers after 6 s)
    "INTEGRATION_SMARTBILL_TIMEOUT_SECONDS": "2",
    "INTEGRATION_SMARTBILL_CONNECT_TIMEOUT_SECONDS": "1",
    # two failures open the breaker, a trial call 2 s later
    "INTEGRATION_SMARTBILL_BREAKER_FAILURES": "2",
    "INTEGRATION_SMARTBILL_BREAKER_RESET_SECONDS": "2",
    "INTEGRATION_DISPATCH_IDLE_SECONDS": "0.3",
}


@dataclass
class Api:
    stack: LocalStack
    client: httpx.AsyncClient
    smartbill: httpx.AsyncClient  # the fake's control API

    async def ok(self, method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
        reply = await self.client.request(method, path, **kwargs)
        assert reply.status_code == expected, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply.json()["data"]

    async def stocked_product(self, quantity: int) -> str:
        sku = f"INV-{uuid.uuid4().hex[:8].upper()}"
        product = {
            "sku": sku,
            "name": f"Panou LED {sku}",
            "category": "led",
            "unit": "buc",
            "cost": "40.00",
            "margin_pct": "25",
        }
        await self.ok("POST", "/products", 201, json=product)
        receipt = {"sku": sku, "warehouse": "A", "quantity": quantity}
        reply = await post_when_known(self.client, "/inventory/receipts", json=receipt)
        assert reply.status_code == 201, f"receipt: {reply.status_code} {reply.text}"
        return sku

    async def customer(self) -> str:
        data = await self.ok(
            "POST",
            "/customers",
            201,
            json={
                "name": "Ion Popescu",
                "company": "Lumina Design SRL",
                "email": f"{uuid.uuid4().hex[:10]}@lumina.ro",
                "vat_code": "RO14399840",
                "address": {
                    "line1": "Str. Memorandumului 28",
                    "city": "Cluj-Napoca",
                    "county": "Cluj",
                },
            },
        )
        return str(data["id"])

    async def shipped(self, customer: str, lines: dict[str, int]) -> tuple[dict[str, Any], str]:
        """An order placed, prepared and shipped whole: (order, shipment id)."""
        body = {
            "customer_id": customer,
            "lines": [{"sku": s, "quantity": q} for s, q in lines.items()],
        }
        order = await self.ok("POST", "/orders", 201, json=body)
        oid = order["id"]
        for status in ("IN_PREPARATION", "READY_TO_SHIP"):
            await self.ok("POST", f"/orders/{oid}/status", json={"status": status})
        shipped = await self.ok("POST", f"/orders/{oid}/shipments", 201, json={})
        return order, shipped["shipment"]["id"]

    async def deliver(self, order_id: str, shipment_id: str) -> dict[str, Any]:
        done = await self.ok(
            "POST", f"/orders/{order_id}/deliveries", json={"shipment_id": shipment_id}
        )
        assert done["order"]["status"] == "DELIVERED"
        return dict(done["order"])

    async def invoices(self, order_id: str) -> list[dict[str, Any]]:
        return list(await self.ok("GET", "/invoices", params={"order_id": order_id}))

    async def issued(self, order_id: str, timeout: float = 60) -> dict[str, Any]:
        found = await eventually(
            lambda: self.invoices(order_id),
            lambda docs: len(docs) == 1 and docs[0]["status"] == "ISSUED",
            timeout=timeout,
            interval=0.3,
            what=f"the invoice of {order_id} ISSUED",
        )
        return dict(found[0])

    async def fake_documents(self, series: str = "FL") -> list[dict[str, Any]]:
        reply = await self.smartbill.get("/_fake/documents", params={"series": series})
        reply.raise_for_status()
        return list(reply.json())

    async def fake_documents_of(self, order: dict[str, Any]) -> list[dict[str, Any]]:
        """SmartBill's invoices of one order (its number is in the document's mentions)."""
        mention = f"Comanda {order['number']}"
        return [d for d in await self.fake_documents() if d["body"].get("mentions") == mention]

    async def fault(self, mode: str, count: int = 1, **where: Any) -> None:
        reply = await self.smartbill.post(
            "/_fake/faults", json={"mode": mode, "count": count, **where}
        )
        reply.raise_for_status()

    async def smartbill_status(self) -> dict[str, Any]:
        status = await self.ok("GET", "/integrations/status")
        return dict(next(s for s in status["systems"] if s["name"] == "smartbill"))


async def _restart(stack: LocalStack, name: str, env: dict[str, str | None]) -> None:
    process = stack.process(name)
    process.terminate()
    for key, value in env.items():
        if value is None:
            process.env.pop(key, None)
        else:
            process.env[key] = value
    process.start()
    await stack.wait_service_ready(name)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(stack: LocalStack) -> AsyncIterator[Api]:
    await _restart(stack, "integration", dict(SHORT_CLOCKS))
    token = await stack.admin_token()
    client = httpx.AsyncClient(
        base_url=f"{stack.gateway_url}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    smartbill = httpx.AsyncClient(base_url=stack.fakes.smartbill_url, timeout=30)
    try:
        yield Api(stack, client, smartbill)
    finally:
        await smartbill.post("/_fake/faults", json={"mode": "none"})
        await smartbill.aclose()
        await client.aclose()
        await _restart(stack, "integration", dict.fromkeys(SHORT_CLOCKS))


def numbers(documents: list[dict[str, Any]]) -> list[int]:
    return sorted(int(d["number"]) for d in documents)


def assert_no_gap(documents: list[dict[str, Any]]) -> None:
    held = numbers(documents)
    assert held == list(range(held[0], held[0] + len(held))), held


async def test_a_delivered_order_becomes_one_invoice_and_is_paid_within_a_poll(api: Api) -> None:
    a, b = await api.stocked_product(10), await api.stocked_product(10)
    customer = await api.customer()
    order, shipment = await api.shipped(customer, {a: 4, b: 1})
    await api.deliver(order["id"], shipment)

    invoice = await api.issued(order["id"])
    assert invoice["series"] == "FL"
    assert invoice["totals"] == order["totals"]
    assert invoice["payment_status"] == "UNPAID"
    by_sku = {ln["sku"]: ln for ln in invoice["lines"]}
    for line in order["lines"]:
        billed = by_sku[line["sku"]]
        assert billed["quantity"] == line["quantity"]
        assert billed["unit_net"] == line["price"]["unit_net"]
        assert billed["vat_rate"] == line["price"]["vat_rate"]
        assert billed["net"] == line["price"]["line_net"]

    # exactly one invoice in SmartBill, its lines and total those of the order
    [document] = await api.fake_documents_of(order)
    assert document["number"] == invoice["number"]
    assert document["total"] == order["totals"]["gross"]
    sent = {p["code"]: p for p in document["body"]["products"] if not p.get("isDiscount")}
    assert {sku: p["quantity"] for sku, p in sent.items()} == {a: 4, b: 1}
    assert {p["taxPercentage"] for p in sent.values()} == {
        float(ln["price"]["vat_rate"]) for ln in order["lines"]
    }
    assert document["body"]["client"]["vatCode"] == "RO14399840"

    detail = await api.ok("GET", f"/orders/{order['id']}")
    assert [i["id"] for i in detail["invoices"]] == [invoice["id"]]
    assert detail["payment"]["status"] == "UNPAID"
    invoiced = await eventually(
        lambda: api.ok("GET", f"/orders/{order['id']}"),
        lambda o: o["status"] == "INVOICED",
        timeout=30,
        interval=0.3,
        what="order INVOICED",
    )
    assert invoiced["invoice_id"] == invoice["id"]

    # the customer pays in SmartBill: PAID after the next poll (a few polls of slack)
    paid = await api.smartbill.post(
        "/_fake/payments",
        json={"series": "FL", "number": invoice["number"], "amount": order["totals"]["gross"]},
    )
    assert paid.status_code == 200, paid.text
    final = await eventually(
        lambda: api.ok("GET", f"/orders/{order['id']}"),
        lambda o: o["status"] == "PAID",
        timeout=POLL_SECONDS * 5,
        interval=0.3,
        what="order PAID after one payment poll",
    )
    assert final["payment"]["status"] == "PAID"
    assert Decimal(final["payment"]["amount_paid"]) == Decimal(order["totals"]["gross"])
    assert final["payment"]["amount_due"] == "0.00"


async def test_a_timeout_on_the_create_still_gives_one_invoice_and_no_gap(api: Api) -> None:
    sku = await api.stocked_product(5)
    customer = await api.customer()
    order, shipment = await api.shipped(customer, {sku: 2})
    # SmartBill creates the invoice, then answers after our client has given up.
    await api.fault("timeout", 1, method="POST", path="/invoice", delay_seconds=6)
    await api.deliver(order["id"], shipment)

    invoice = await api.issued(order["id"])
    assert len(await api.fake_documents_of(order)) == 1
    assert [d["number"] for d in await api.fake_documents_of(order)] == [invoice["number"]]
    assert_no_gap(await api.fake_documents())
    # asking by hand afterwards answers the same invoice, nothing new in SmartBill
    again = await api.client.post("/invoices", json={"order_id": order["id"]})
    assert again.status_code == 201, again.text
    assert again.json()["data"]["id"] == invoice["id"]
    assert len(await api.fake_documents_of(order)) == 1


async def test_smartbill_down_for_a_while_then_the_invoice_goes_out(api: Api) -> None:
    sku = await api.stocked_product(5)
    customer = await api.customer()
    order, shipment = await api.shipped(customer, {sku: 1})
    assert (await api.smartbill_status())["breaker"]["state"] == "CLOSED"
    await api.fault("http500", 10_000)  # every call, until the fault is cleared
    try:
        await api.deliver(order["id"], shipment)
        down = await eventually(
            api.smartbill_status,
            lambda s: s["breaker"]["state"] == "OPEN",
            timeout=60,
            interval=0.2,
            what="the SmartBill breaker OPEN",
        )
        assert down["last_error"]
        waiting = await api.invoices(order["id"])
        assert [d["status"] for d in waiting] in ([], ["PENDING"])
        assert await api.fake_documents_of(order) == []
    finally:
        await api.fault("none")

    invoice = await api.issued(order["id"], timeout=90)
    assert len(await api.fake_documents_of(order)) == 1
    assert_no_gap(await api.fake_documents())
    up = await eventually(
        api.smartbill_status,
        lambda s: s["breaker"]["state"] == "CLOSED",
        timeout=60,
        interval=0.3,
        what="the SmartBill breaker CLOSED again",
    )
    assert up["backlog"]["pending_invoices"] == 0
    assert invoice["series"] == "FL"


async def test_forty_deliveries_at_once_never_trip_smartbills_block(api: Api) -> None:
    sku = await api.stocked_product(200)
    customer = await api.customer()
    gate = asyncio.Semaphore(6)

    async def ship() -> tuple[dict[str, Any], str]:
        async with gate:
            return await api.shipped(customer, {sku: 1})

    shipped = await asyncio.gather(*(ship() for _ in range(40)))
    seen_before = len((await api.smartbill.get("/_fake/requests")).json())
    await asyncio.gather(*(api.deliver(order["id"], sid) for order, sid in shipped))

    invoices = [await api.issued(order["id"], timeout=180) for order, _ in shipped]
    assert len({i["number"] for i in invoices}) == 40
    for order, _ in shipped:
        assert len(await api.fake_documents_of(order)) == 1
    assert_no_gap(await api.fake_documents())
    calls = (await api.smartbill.get("/_fake/requests")).json()[seen_before:]
    assert len(calls) >= 40
    assert [c for c in calls if c["status"] == 403] == []
