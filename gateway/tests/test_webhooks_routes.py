"""The /webhooks routes: the real gateway app (httpx over ASGI) in front of the real
integration service (in-process, real gRPC, a fresh database, the module's exchange on
the real broker), delivering over real HTTP to a receiver served by the test on
127.0.0.1 (allow-listed)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aio_pika
import pytest
import pytest_asyncio

from cypher.orders.v1 import events_pb2 as orders_events
from cypher.orders.v1 import orders_pb2
from cypher_runtime.clock import FixedClock
from cypher_testkit.broker import BrokerScope, delete_scope
from cypher_testkit.events import publish_event
from cypher_testkit.infra import amqp_url
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import free_port
from gateway.routes.webhooks import owner_of
from gateway.settings import GatewaySettings
from integration.main import MIGRATIONS as INTEGRATION_MIGRATIONS
from integration.main import assemble as assemble_integration
from integration.settings import IntegrationSettings

from .conftest import Gateway, start_gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

API = "/api/v1"


class Receiver:
    """A local HTTP endpoint: records each POST (headers, body) and answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

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
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest_asyncio.fixture(loop_scope="session")
async def hooks_gateway(
    database_factory: Callable[[str, Path | None], Awaitable[str]],
    broker_scope: BrokerScope,
    gateway_settings: GatewaySettings,
    clock: FixedClock,
) -> AsyncIterator[Gateway]:
    integration_port = free_port()
    integration = assemble_integration(
        IntegrationSettings(
            database_url=await database_factory("integration", INTEGRATION_MIGRATIONS),
            grpc_port=integration_port,
            http_port=free_port(),
            orders_addr=f"127.0.0.1:{free_port()}",
            pricing_addr=f"127.0.0.1:{free_port()}",
            bind_host="127.0.0.1",
            amqp_url=amqp_url(),
            events_exchange=broker_scope.exchange,
            queue_prefix=broker_scope.queue_prefix,
            outbox_poll_seconds=0.1,
            webhook_allow_hosts="127.0.0.1",
            webhook_idle_seconds=0.2,
        ),
        queue_prefix=broker_scope.queue_prefix,
    ).runtime
    await integration.start()

    # The consumers bind their queues once the service is up; an event published before
    # that would find no queue and be dropped, so wait until every queue exists.
    async def consumers_bound() -> bool:
        connection = await aio_pika.connect(amqp_url())
        try:
            channel = await connection.channel()
            for consumer in integration.consumers:
                await channel.declare_queue(consumer.queue_name, passive=True)
            return True
        except aio_pika.exceptions.AMQPError:
            return False
        finally:
            await connection.close()

    await eventually(consumers_bound, timeout=30, interval=0.2, what="integration queues bound")
    settings = gateway_settings.model_copy(
        update={
            "integration_addr": f"127.0.0.1:{integration_port}",
            "rate_limit_api": "10000/minute",
            "rate_limit_writes": "10000/minute",
            "rate_limit_login": "10000/minute",
        }
    )
    try:
        async for gw in start_gateway(settings, clock):
            yield gw
    finally:
        await integration.stop()
        await delete_scope(broker_scope, [c.queue_name for c in integration.consumers])


async def call(gw: Gateway, method: str, path: str, auth: dict[str, str], **kw: Any) -> Any:
    return await gw.client.request(method, API + path, headers=auth, **kw)


async def test_register_receive_signed_list_retry_pause_delete(
    hooks_gateway: Gateway, broker_scope: BrokerScope
) -> None:
    gw = hooks_gateway
    admin = await gw.admin()
    receiver = Receiver()
    await receiver.start()
    try:
        customer = str(uuid.uuid4())
        created = await call(
            gw,
            "POST",
            "/webhooks",
            admin,
            json={"url": receiver.url, "events": ["order.shipped"], "customer_id": customer},
        )
        assert created.status_code == 201, created.text
        hook = created.json()["data"]
        secret = hook["secret"]
        assert secret.startswith("whsec_")
        assert (hook["customer_id"], hook["events"], hook["active"]) == (
            customer,
            ["order.shipped"],
            True,
        )
        got = (await call(gw, "GET", f"/webhooks/{hook['id']}", admin)).json()["data"]
        assert got["secret"] is None  # shown once
        listed = (await call(gw, "GET", "/webhooks", admin)).json()["data"]
        assert [h["id"] for h in listed] == [hook["id"]]

        order_id = str(uuid.uuid4())
        connection = await aio_pika.connect(broker_scope.amqp_url)
        try:
            exchange = await (await connection.channel()).get_exchange(broker_scope.exchange)
            await publish_event(
                exchange,
                orders_events.OrderStatusChanged(
                    order_id=order_id,
                    number="CMD-1",
                    customer_id=customer,
                    to_status=orders_pb2.ORDER_STATUS_SHIPPED,
                ),
            )
        finally:
            await connection.close()

        async def deliveries() -> list[dict[str, Any]]:
            reply = await call(gw, "GET", f"/webhooks/{hook['id']}/deliveries", admin)
            return list(reply.json()["data"])

        [delivery] = await eventually(
            deliveries,
            lambda ds: len(ds) == 1 and ds[0]["status"] == "DELIVERED",
            timeout=20,
            what="delivered",
        )
        assert (delivery["event_type"], delivery["attempts"], delivery["last_status_code"]) == (
            "order.shipped",
            1,
            200,
        )
        [(headers, body)] = receiver.received
        t, v1 = (p.split("=", 1)[1] for p in headers["webhook-signature"].split(","))
        expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(v1, expected)
        assert json.loads(body)["data"]["order_id"] == order_id
        assert headers["webhook-id"] == delivery["id"]

        retried = await call(
            gw, "POST", f"/webhooks/{hook['id']}/deliveries/{delivery['id']}/retry", admin
        )
        assert retried.status_code == 202, retried.text
        await eventually(
            lambda: asyncio.sleep(0, receiver.received), lambda r: len(r) == 2, what="resent"
        )
        assert receiver.received[1][0]["webhook-id"] == delivery["id"]

        paused = await call(
            gw,
            "PATCH",
            f"/webhooks/{hook['id']}",
            admin,
            json={"active": False, "events": ["order.shipped", "order.delivered"]},
        )
        assert paused.status_code == 200, paused.text
        assert (paused.json()["data"]["active"], paused.json()["data"]["events"]) == (
            False,
            ["order.shipped", "order.delivered"],
        )
        deleted = await call(gw, "DELETE", f"/webhooks/{hook['id']}", admin)
        assert deleted.json()["data"] == {"id": hook["id"], "deleted": True}
        gone = await call(gw, "GET", f"/webhooks/{hook['id']}", admin)
        assert gone.status_code == 404
        assert gone.json()["error"]["code"] == "WEBHOOK_NOT_FOUND"
    finally:
        await receiver.stop()


BAD_REGISTRATIONS: list[tuple[dict[str, Any], str]] = [
    ({"url": "https://169.254.169.254/latest", "events": ["order.shipped"]}, "url"),
    ({"url": "https://10.0.0.8/x", "events": ["order.shipped"]}, "url"),
    ({"url": "http://127.0.0.2/x", "events": ["order.shipped"]}, "url"),
    ({"url": "https://localhost/x", "events": ["order.shipped"]}, "url"),
    ({"url": "http://127.0.0.1/x", "events": ["order.exploded"]}, "events"),
    ({"url": "http://127.0.0.1/x", "events": []}, "events"),
    ({"url": "http://127.0.0.1/x", "events": ["order.shipped"], "secret": "short"}, "secret"),
    ({"url": "http://127.0.0.1/x", "events": ["order.shipped"], "extra": 1}, "extra"),
    ({"url": "http://127.0.0.1/x", "events": ["order.shipped"], "customer_id": "x"}, "customer_id"),
]


async def test_bad_registrations_are_400s_naming_the_field(hooks_gateway: Gateway) -> None:
    admin = await hooks_gateway.admin()
    for body, field in BAD_REGISTRATIONS:
        reply = await call(hooks_gateway, "POST", "/webhooks", admin, json=body)
        assert reply.status_code == 400, (body, reply.text)
        error = reply.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        fields = error["details"]["fields"]
        assert any(field in name for name in fields), (body, fields)
    listed = await call(hooks_gateway, "GET", "/webhooks", admin)
    assert listed.json()["data"] == []


async def test_unknown_ids_are_404_and_staff_roles_other_than_admin_are_403(
    hooks_gateway: Gateway,
) -> None:
    gw = hooks_gateway
    admin = await gw.admin()
    missing = await call(gw, "GET", f"/webhooks/{uuid.uuid4()}/deliveries", admin)
    assert missing.status_code == 404
    retry = await call(
        gw, "POST", f"/webhooks/{uuid.uuid4()}/deliveries/{uuid.uuid4()}/retry", admin
    )
    assert retry.status_code == 404
    _, sales = await gw.user_with_role("sales")
    assert (await call(gw, "GET", "/webhooks", sales)).status_code == 403


async def test_the_owner_is_the_principals_customer_if_it_has_one() -> None:
    class Staff:
        role = "admin"

    class Partner:
        role = "partner"
        customer_id = "c-1"

    assert owner_of(Staff()) == ""
    assert owner_of(Partner()) == "c-1"
