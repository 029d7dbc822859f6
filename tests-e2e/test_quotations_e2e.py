"""Quote to order end to end through the gateway on the running stack (every service a
real process): a TIER_1 customer's quotation keeps its price through a cost change,
its PDF shows that price and the customer's diacritics, and its conversion is an
ORDER_CONFIRMED order at exactly those prices with the stock reserved — once, however
often it is converted. And a quote request placed with orders is drafted, followed
and confirmed as that same order."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pypdf
import pytest_asyncio

from cypher_testkit.catalogue import post_when_known
from cypher_testkit.polling import eventually
from cypher_testkit.stack import LocalStack

COMPANY = "Lumină Și Țară SRL"


def ro_amount(text: str) -> str:
    """ "1234.50" as the PDF prints it: "1.234,50"."""
    return f"{Decimal(text):,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


@dataclass
class Api:
    client: httpx.AsyncClient

    async def ok(self, method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
        reply = await self.client.request(method, path, **kwargs)
        assert reply.status_code == expected, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply.json()["data"]

    async def receive(self, sku: str, quantity: int) -> None:
        """Stock in A for a product just created: inventory learns the product from
        pricing's event, so the receipt is repeated while it answers PRODUCT_UNKNOWN_YET."""
        receipt = {"sku": sku, "warehouse": "A", "quantity": quantity}
        reply = await post_when_known(self.client, "/inventory/receipts", json=receipt)
        assert reply.status_code == 201, reply.text

    async def product(self, cost: str) -> str:
        sku = f"E2E-Q-{uuid.uuid4().hex[:8].upper()}"
        await self.ok(
            "POST",
            "/products",
            201,
            json={
                "sku": sku,
                "name": "Corp de iluminat suspendat, oțel",
                "category": "led",
                "unit": "buc",
                "cost": cost,
                "margin_pct": "50",
            },
        )
        return sku

    async def customer(self, tier: str | None = None) -> str:
        data = await self.ok(
            "POST",
            "/customers",
            201,
            json={
                "name": "Ion Popescu",
                "company": COMPANY,
                "email": f"{uuid.uuid4().hex[:10]}@lumina.ro",
                "vat_code": "RO14399840",
                "address": {"line1": "Str. Ștefan cel Mare 3", "city": "Iași", "county": "Iași"},
            },
        )
        customer_id = str(data["id"])
        if tier:
            # Pricing learns the new customer from orders' customer.upserted a moment
            # later; until then a tier override is a 404.
            async def put_tier() -> httpx.Response:
                return await self.client.put(f"/customers/{customer_id}/tier", json={"tier": tier})

            reply = await eventually(put_tier, lambda r: r.status_code != 404, timeout=20)
            assert reply.status_code == 200, reply.text
        return customer_id


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(stack: LocalStack) -> AsyncIterator[Api]:
    token = await stack.admin_token()
    client = httpx.AsyncClient(
        base_url=f"{stack.gateway_url}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    try:
        yield Api(client)
    finally:
        await client.aclose()


async def test_quote_to_order_keeps_the_quoted_prices(api: Api) -> None:
    sku = await api.product(cost="100.00")
    await api.receive(sku, 30)
    customer = await api.customer(tier="TIER_1")
    quotation = await api.ok(
        "POST",
        "/quotations",
        201,
        json={"customer_id": customer, "lines": [{"sku": sku, "quantity": 12}]},
        headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"},
    )
    price = quotation["lines"][0]["price"]
    # 100 × 1.5 × (1 − 5 % TIER_1) × (1 − 2 % volume, 12 units) = 139.65
    assert (price["tier"], price["unit_net"]) == ("TIER_1", "139.65")
    qid = quotation["id"]

    await api.ok("PATCH", f"/products/{sku}", json={"cost": "150.00"})
    fresh = await api.ok("GET", f"/pricing/{sku}", params={"customer_id": customer, "quantity": 12})
    assert fresh["unit_net"] != price["unit_net"]

    sent = await api.ok("POST", f"/quotations/{qid}/send")
    assert sent["status"] == "SENT"
    assert sent["lines"][0]["price"]["unit_net"] == "139.65"
    pdf = await api.client.get(f"/quotations/{qid}/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert COMPANY in text
    assert quotation["number"] in text
    assert ro_amount("139.65") in text
    assert ro_amount(quotation["totals"]["gross"]) in text
    assert ro_amount(fresh["unit_net"]) not in text

    await api.ok("POST", f"/quotations/{qid}/accept")
    converted = await api.ok("POST", f"/quotations/{qid}/convert", 201)
    order = converted["order"]
    assert order["status"] == "ORDER_CONFIRMED"
    assert order["quotation_id"] == qid
    assert [
        (ln["sku"], ln["quantity"], ln["price"]["unit_net"], ln["price_locked"])
        for ln in order["lines"]
    ] == [(sku, 12, "139.65", True)]
    assert order["totals"] == quotation["totals"]
    stock = await api.ok("GET", f"/inventory/{sku}")
    assert (stock["totals"]["reserved"], stock["totals"]["available"]) == (12, 18)

    again = await api.ok("POST", f"/quotations/{qid}/convert", 201)
    assert (again["order_id"], again["order_number"]) == (
        converted["order_id"],
        converted["order_number"],
    )
    assert (await api.ok("GET", f"/inventory/{sku}"))["totals"]["reserved"] == 12
    listed = await api.ok("GET", "/quotations", params={"customer_id": customer})
    assert [(q["id"], q["order_id"]) for q in listed] == [(qid, converted["order_id"])]


async def test_a_quote_request_is_followed_to_the_same_confirmed_order(api: Api) -> None:
    sku = await api.product(cost="20.00")
    await api.receive(sku, 5)
    customer = await api.customer()
    order = await api.ok(
        "POST",
        "/orders/quote-requests",
        201,
        json={"customer_id": customer, "lines": [{"sku": sku, "quantity": 2}]},
    )
    assert order["status"] == "QUOTE_PENDING"

    async def drafted() -> list[Any]:
        return list(await api.ok("GET", "/quotations", params={"customer_id": customer}))

    found = await eventually(drafted, lambda qs: len(qs) == 1, timeout=30, what="drafted")
    quotation = found[0]
    assert (quotation["status"], quotation["source_order_id"]) == ("DRAFT", order["id"])
    qid = quotation["id"]
    await api.ok("POST", f"/quotations/{qid}/send")

    async def order_status() -> str:
        return str((await api.ok("GET", f"/orders/{order['id']}"))["status"])

    await eventually(order_status, lambda s: s == "QUOTE_SENT", timeout=30, what="QUOTE_SENT")
    await api.ok("POST", f"/quotations/{qid}/accept")
    converted = await api.ok("POST", f"/quotations/{qid}/convert", 201)
    assert converted["order_id"] == order["id"]
    assert converted["order"]["status"] == "ORDER_CONFIRMED"
