"""Webhooks end to end through the gateway on the running stack (every service a real
process): a partner's endpoint — a receiver served by this test on 127.0.0.1 — is
registered with POST /webhooks; an order is placed and shipped; the receiver gets
`order.confirmed` and `order.shipped` once each, signed with the secret the gateway
answered once; a receiver that fails three times gets the delivery on the fourth
attempt; another customer's endpoint gets nothing.

The module restarts the integration service with 127.0.0.1 allow-listed (production:
public https only) and a short retry schedule, and restores it afterwards."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from cypher_testkit.catalogue import post_when_known
from cypher_testkit.polling import eventually
from cypher_testkit.stack import LocalStack

pytestmark = pytest.mark.asyncio(loop_scope="session")

WEBHOOK_ENV = {
    "INTEGRATION_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
    "INTEGRATION_WEBHOOK_RETRY_SCHEDULE": "0.5,0.5,0.5",
    "INTEGRATION_WEBHOOK_IDLE_SECONDS": "0.3",
}


class Receiver:
    """A local HTTP endpoint: records each request, answers 500 to the first
    `fail_first`, 200 after."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cypher-hooks"

    def types(self) -> list[str]:
        return [json.loads(body)["type"] for _, body in self.received]

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in head[1:] if ":" in line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.received.append((headers, body))
                status = (
                    b"500 Internal Server Error"
                    if len(self.received) <= self.fail_first
                    else b"200 OK"
                )
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def signed(secret: str, headers: dict[str, str], body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in headers["webhook-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return abs(time.time() - int(parts["t"])) < 300 and hmac.compare_digest(
        expected.hexdigest(), parts["v1"]
    )


async def _restart(stack: LocalStack, env: dict[str, str | None]) -> None:
    process = stack.process("integration")
    process.terminate()
    for key, value in env.items():
        if value is None:
            process.env.pop(key, None)
        else:
            process.env[key] = value
    process.start()
    await stack.wait_service_ready("integration")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(stack: LocalStack) -> AsyncIterator[httpx.AsyncClient]:
    await _restart(stack, dict(WEBHOOK_ENV))
    token = await stack.admin_token()
    http = httpx.AsyncClient(
        base_url=f"{stack.gateway_url}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    try:
        yield http
    finally:
        await http.aclose()
        await _restart(stack, dict.fromkeys(WEBHOOK_ENV))


async def ok(
    client: httpx.AsyncClient, method: str, path: str, expected: int = 200, **kw: Any
) -> Any:
    reply = await client.request(method, path, **kw)
    assert reply.status_code == expected, f"{method} {path}: {reply.status_code} {reply.text}"
    return reply.json()["data"]


async def stocked_product(client: httpx.AsyncClient) -> str:
    sku = f"WH-{uuid.uuid4().hex[:8].upper()}"
    await ok(
        client,
        "POST",
        "/products",
        201,
        json={
            "sku": sku,
            "name": f"Spot {sku}",
            "category": "led",
            "unit": "buc",
            "cost": "10.00",
            "margin_pct": "30",
        },
    )
    reply = await post_when_known(
        client, "/inventory/receipts", json={"sku": sku, "warehouse": "A", "quantity": 50}
    )
    assert reply.status_code == 201, reply.text
    return sku


async def customer(client: httpx.AsyncClient) -> str:
    data = await ok(
        client,
        "POST",
        "/customers",
        201,
        json={"name": "Partener SRL", "email": f"{uuid.uuid4().hex[:10]}@partener.ro"},
    )
    return str(data["id"])


async def shipped_order(client: httpx.AsyncClient, customer_id: str, sku: str) -> str:
    order = await ok(
        client,
        "POST",
        "/orders",
        201,
        json={"customer_id": customer_id, "lines": [{"sku": sku, "quantity": 2}]},
    )
    for status in ("IN_PREPARATION", "READY_TO_SHIP"):
        await ok(client, "POST", f"/orders/{order['id']}/status", json={"status": status})
    await ok(client, "POST", f"/orders/{order['id']}/shipments", 201, json={})
    return str(order["id"])


async def test_a_partner_receives_confirmed_and_shipped_once_each_signed(
    client: httpx.AsyncClient,
) -> None:
    sku = await stocked_product(client)
    mine, theirs, flaky_customer = (
        await customer(client),
        await customer(client),
        await customer(client),
    )
    receiver, other, flaky = Receiver(), Receiver(), Receiver(fail_first=3)
    for r in (receiver, other, flaky):
        await r.start()
    try:
        events = ["order.confirmed", "order.shipped"]
        hook = await ok(
            client,
            "POST",
            "/webhooks",
            201,
            json={"url": receiver.url, "events": events, "customer_id": mine},
        )
        await ok(
            client,
            "POST",
            "/webhooks",
            201,
            json={"url": other.url, "events": events, "customer_id": theirs},
        )
        flaky_hook = await ok(
            client,
            "POST",
            "/webhooks",
            201,
            json={"url": flaky.url, "events": ["order.shipped"], "customer_id": flaky_customer},
        )

        order_id = await shipped_order(client, mine, sku)
        await shipped_order(client, flaky_customer, sku)

        async def delivered(webhook_id: str) -> list[dict[str, Any]]:
            return list(await ok(client, "GET", f"/webhooks/{webhook_id}/deliveries"))

        rows = await eventually(
            lambda: delivered(hook["id"]),
            lambda ds: len(ds) == 2 and all(d["status"] == "DELIVERED" for d in ds),
            timeout=60,
            interval=0.3,
            what="confirmed and shipped delivered",
        )
        assert sorted(receiver.types()) == ["order.confirmed", "order.shipped"]
        for headers, body in receiver.received:
            assert signed(hook["secret"], headers, body)
            assert json.loads(body)["data"]["order_id"] == order_id
            assert headers["webhook-id"] in {d["id"] for d in rows}

        [flaky_row] = await eventually(
            lambda: delivered(flaky_hook["id"]),
            lambda ds: len(ds) == 1 and ds[0]["status"] == "DELIVERED",
            timeout=60,
            interval=0.3,
            what="the flaky receiver's delivery",
        )
        assert flaky_row["attempts"] == 4
        assert len(flaky.received) == 4
        assert len({h["webhook-id"] for h, _ in flaky.received}) == 1
        assert all(signed(flaky_hook["secret"], h, b) for h, b in flaky.received)
        # Still exactly once each, and nothing of this customer's order elsewhere.
        assert sorted(receiver.types()) == ["order.confirmed", "order.shipped"]
        assert other.received == []
    finally:
        for r in (receiver, other, flaky):
            await r.stop()
