"""The e-shop and the mails end to end through the gateway on the running stack (every
service a real process, the fake WooCommerce and the SMTP sink beside them): a cost
change and a stock change reach the shop within seconds, a burst of 250 changes goes
out as 3 batch calls, one refused item is sent again by the retry run, a sent quotation
is one mail with its PDF, and an order's way to the customer is one mail per status."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio

from cypher_testkit.catalogue import post_when_known
from cypher_testkit.polling import eventually
from cypher_testkit.stack import LocalStack


@dataclass
class Api:
    client: httpx.AsyncClient
    shop: httpx.AsyncClient  # the fake WooCommerce's control side
    mailbox: httpx.AsyncClient  # the SMTP sink's HTTP side

    async def ok(self, method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
        reply = await self.client.request(method, path, **kwargs)
        assert reply.status_code == expected, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply.json()["data"]

    # -- CYPHER, through the gateway -------------------------------------------------------
    async def product(
        self, cost: str = "100.00", *, category: str = "led", prefix: str = "E2E-W"
    ) -> str:
        sku = f"{prefix}-{uuid.uuid4().hex[:8].upper()}"
        await self.ok(
            "POST",
            "/products",
            201,
            json={
                "sku": sku,
                "name": "Bandă LED 5 m, lumină caldă",
                "category": category,
                "unit": "buc",
                "cost": cost,
                "margin_pct": "30",
            },
        )
        return sku

    async def receive(self, sku: str, quantity: int) -> None:
        """Stock of a product just created: inventory learns it from pricing's event, so
        the receipt is repeated while it answers PRODUCT_UNKNOWN_YET."""
        receipt = {"sku": sku, "warehouse": "A", "quantity": quantity}
        reply = await post_when_known(self.client, "/inventory/receipts", json=receipt)
        assert reply.status_code == 201, reply.text

    async def customer(self) -> tuple[str, str]:
        email = f"client-{uuid.uuid4().hex[:10]}@lumina.ro"
        data = await self.ok(
            "POST",
            "/customers",
            201,
            json={
                "name": "Ioana Ștefănescu",
                "company": "Lumină Și Țară SRL",
                "email": email,
                "vat_code": "RO14399840",
                "address": {
                    "line1": "Str. Ștefan cel Mare 3",
                    "city": "Iași",
                    "county": "Iași",
                },
            },
        )
        return str(data["id"]), email

    async def woo_status(self) -> dict[str, Any]:
        return dict(await self.ok("GET", "/integrations/woocommerce/status"))

    async def quiet_shop(self) -> None:
        """Nothing waits for the shop: what earlier steps changed has gone out."""
        await eventually(
            self.woo_status,
            lambda s: s["pending_items"] == 0 and s["current_run"] is None,
            timeout=60,
            what="no shop backlog",
        )

    # -- the fake shop ---------------------------------------------------------------------
    async def shop_products(self) -> dict[str, dict[str, Any]]:
        reply = await self.shop.get("/_fake/products")
        reply.raise_for_status()
        return dict(reply.json())

    async def shop_requests(self) -> list[dict[str, Any]]:
        reply = await self.shop.get("/_fake/requests")
        reply.raise_for_status()
        return list(reply.json())

    async def shop_shows(
        self, sku: str, check: Callable[[dict[str, Any]], bool], *, timeout: float = 20
    ) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            return (await self.shop_products()).get(sku)

        found = await eventually(
            probe, lambda p: p is not None and check(p), timeout=timeout, what=f"shop {sku}"
        )
        assert found is not None
        return found

    # -- the SMTP sink ---------------------------------------------------------------------
    async def mails_to(self, address: str) -> list[dict[str, Any]]:
        reply = await self.mailbox.get("/_fake/messages", params={"to": address})
        reply.raise_for_status()
        return list(reply.json())


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(stack: LocalStack) -> AsyncIterator[Api]:
    token = await stack.admin_token()
    client = httpx.AsyncClient(
        base_url=f"{stack.gateway_url}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    shop = httpx.AsyncClient(base_url=stack.fakes.woo_url, timeout=10)
    mailbox = httpx.AsyncClient(base_url=stack.fakes.mail_url, timeout=10)
    try:
        yield Api(client, shop, mailbox)
    finally:
        await client.aclose()
        await shop.aclose()
        await mailbox.aclose()


def batch_calls(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["method"] == "POST" and r["path"].endswith("/products/batch")]


async def test_a_cost_change_reaches_the_shop_within_seconds(api: Api) -> None:
    sku = await api.product(cost="100.00")
    await api.receive(sku, 5)
    # 100 + 30 % margin = 130 net, + 21 % VAT for the anonymous shop customer.
    first = await api.shop_shows(
        sku, lambda p: p["regular_price"] == "157.30" and p["stock_quantity"] == 5, timeout=30
    )
    assert first["stock_status"] == "instock"

    await api.ok("PATCH", f"/products/{sku}", json={"cost": "200.00"})
    after = await api.shop_shows(sku, lambda p: p["regular_price"] == "314.60", timeout=15)
    assert after["id"] == first["id"]  # the same shop product, not a second one
    assert [s for s, p in (await api.shop_products()).items() if s == sku] == [sku]


async def test_stock_to_zero_shows_out_of_stock(api: Api) -> None:
    sku = await api.product(cost="40.00")
    await api.receive(sku, 3)
    await api.shop_shows(sku, lambda p: p["stock_quantity"] == 3, timeout=30)
    adjusted = await api.client.post(
        "/inventory/adjustments",
        json={"sku": sku, "warehouse": "A", "delta": -3, "reason": "inventar: lipsă"},
    )
    assert adjusted.status_code in (200, 201), adjusted.text
    shown = await api.shop_shows(sku, lambda p: p["stock_quantity"] == 0, timeout=15)
    assert shown["stock_status"] == "outofstock"


async def test_250_products_changed_at_once_are_3_batch_calls(api: Api) -> None:
    category = f"e2e-bulk-{uuid.uuid4().hex[:6]}"
    gate = asyncio.Semaphore(8)

    async def create() -> str:
        async with gate:
            return await api.product(cost="10.00", category=category, prefix="E2E-BULK")

    skus = await asyncio.gather(*(create() for _ in range(250)))
    await eventually(
        api.shop_products,
        lambda found: all(s in found and found[s]["regular_price"] == "15.73" for s in skus),
        timeout=120,
        what="250 products in the shop",
    )
    await api.quiet_shop()
    before = len(await api.shop_requests())

    # One promotion on their category: pricing announces 250 price changes at once.
    starts = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
    await api.ok(
        "POST",
        "/pricing/promotions",
        201,
        json={
            "name": "Reducere bandă LED",
            "category": category,
            "discount_pct": "10",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(days=3)).isoformat(),
        },
    )
    # 13 net × 0.9 = 11.70, + 21 % VAT = 14.16.
    await eventually(
        api.shop_products,
        lambda found: all(found[s]["sale_price"] == "14.16" for s in skus),
        timeout=60,
        what="250 sale prices in the shop",
    )
    await api.quiet_shop()
    since = (await api.shop_requests())[before:]
    calls = batch_calls(since)
    assert sorted((c["items"]["total"] for c in calls), reverse=True) == [100, 100, 50], calls
    assert all(c["items"]["update"] == c["items"]["total"] for c in calls)
    assert [r for r in since if r not in calls] == []  # no single-product calls


async def test_an_item_error_syncs_the_others_and_the_retry_run_sends_it(api: Api) -> None:
    skus = [await api.product(cost="10.00", prefix="E2E-ERR") for _ in range(3)]
    await eventually(
        api.shop_products,
        lambda found: all(s in found and found[s]["regular_price"] == "15.73" for s in skus),
        timeout=30,
        what="three products in the shop",
    )
    await api.quiet_shop()
    refused = skus[1]
    armed = await api.shop.post(
        "/_fake/faults", json={"mode": "item_error", "sku": refused, "count": 1}
    )
    armed.raise_for_status()
    for sku in skus:
        await api.ok("PATCH", f"/products/{sku}", json={"cost": "30.00"})

    status = await eventually(
        api.woo_status,
        lambda s: any(f["sku"] == refused for f in s["failures"]),
        timeout=30,
        what="the refused item recorded",
    )
    failure = next(f for f in status["failures"] if f["sku"] == refused)
    assert "woocommerce_rest_product_not_saved" in failure["error"]
    assert failure["attempts"] == 1
    shown = await api.shop_products()
    assert shown[skus[0]]["regular_price"] == shown[skus[2]]["regular_price"] == "47.19"
    assert shown[refused]["regular_price"] == "15.73"  # the shop kept the old price

    started = await api.client.post("/integrations/woocommerce/sync", json={"mode": "retry_failed"})
    assert started.status_code == 202, started.text
    run = started.json()["data"]
    assert run["mode"] == "retry_failed"

    done = await eventually(
        api.woo_status,
        lambda s: (s["last_retry_run"] or {}).get("id") == run["id"],
        timeout=60,
        what="the retry run finished",
    )
    retry = done["last_retry_run"]
    assert retry["status"] == "succeeded"
    assert (retry["items_succeeded"], retry["items_failed"]) == (retry["items_total"], 0)
    assert retry["items_total"] >= 1
    assert all(f["sku"] != refused for f in done["failures"])
    assert (await api.shop_products())[refused]["regular_price"] == "47.19"


async def test_a_sent_quotation_is_one_mail_with_its_pdf(api: Api) -> None:
    sku = await api.product(cost="80.00")
    await api.receive(sku, 10)
    customer, email = await api.customer()
    quotation = await api.ok(
        "POST",
        "/quotations",
        201,
        json={"customer_id": customer, "lines": [{"sku": sku, "quantity": 4}]},
        headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"},
    )
    await api.ok("POST", f"/quotations/{quotation['id']}/send")

    mails = await eventually(
        lambda: api.mails_to(email), lambda found: len(found) >= 1, timeout=30, what="offer mail"
    )
    assert len(mails) == 1, mails
    mail = mails[0]
    assert quotation["number"] in mail["subject"]
    assert mail["subject"].startswith("Oferta ")
    assert [a["content_type"] for a in mail["attachments"]] == ["application/pdf"]
    assert mail["attachments"][0]["filename"].endswith(".pdf")
    pdf = await api.mailbox.get(f"/_fake/messages/{mail['id']}/attachments/0")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    full = (await api.mailbox.get(f"/_fake/messages/{mail['id']}")).json()
    assert quotation["number"] in full["text"]
    assert "ă" in full["html"] or "ț" in full["html"] or "ș" in full["html"]

    # Sending again is refused (already SENT) and mails nothing more.
    again = await api.client.post(f"/quotations/{quotation['id']}/send")
    assert again.status_code == 409, again.text
    assert len(await api.mails_to(email)) == 1


async def test_an_order_delivered_is_one_mail_per_status(api: Api) -> None:
    sku = await api.product(cost="50.00")
    await api.receive(sku, 10)
    customer, email = await api.customer()
    placed = await api.ok(
        "POST",
        "/orders",
        201,
        json={"customer_id": customer, "lines": [{"sku": sku, "quantity": 2}]},
    )
    oid, number = placed["id"], placed["number"]
    assert placed["status"] == "ORDER_CONFIRMED"
    for status in ("IN_PREPARATION", "READY_TO_SHIP"):
        await api.ok("POST", f"/orders/{oid}/status", json={"status": status})
    shipped = await api.ok("POST", f"/orders/{oid}/shipments", 201, json={})
    assert shipped["order"]["status"] == "SHIPPED"
    delivered = await api.ok(
        "POST", f"/orders/{oid}/deliveries", json={"shipment_id": shipped["shipment"]["id"]}
    )
    assert delivered["order"]["status"] == "DELIVERED"
    # The delivery is invoiced through the SmartBill fake; orders then says INVOICED.
    await eventually(
        lambda: api.ok("GET", f"/orders/{oid}"),
        lambda o: o["status"] == "INVOICED",
        timeout=60,
        what="order invoiced",
    )

    expected = [
        f"Comanda {number} a fost confirmată",
        f"Comanda {number} a fost expediată",
        f"Comanda {number} a fost livrată",
        f"Factura pentru comanda {number} a fost emisă",
    ]
    mails = await eventually(
        lambda: api.mails_to(email),
        lambda found: len(found) >= len(expected),
        timeout=60,
        what="four order mails",
    )
    assert sorted(m["subject"] for m in mails) == sorted(expected), [m["subject"] for m in mails]
    assert all(m["to"] == [email] for m in mails), mails
    # IN_PREPARATION and READY_TO_SHIP are not mailed; nothing came twice.
    assert len(await api.mails_to(email)) == len(expected)
