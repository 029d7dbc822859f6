"""POST /integrations/woocommerce/sync and GET /integrations/woocommerce/status: the real
gateway app in front of the real integration service (in-process, real gRPC on
loopback, its own PostgreSQL database) syncing to the fake WooCommerce over HTTP; bad
input, roles, and the runs it reports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

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

from .conftest import Gateway, PricingService, start_gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

SYNC = "/api/v1/integrations/woocommerce/sync"
STATUS = "/api/v1/integrations/woocommerce/status"


@pytest_asyncio.fixture(loop_scope="session")
async def shop_gateway(
    database_factory: Callable[[str, Path | None], Awaitable[str]],
    broker_scope: BrokerScope,
    gateway_settings: GatewaySettings,
    pricing_service: PricingService,
    fakes: Fakes,
    clock: FixedClock,
) -> AsyncIterator[Gateway]:
    integration_port = free_port()
    integration = assemble_integration(
        IntegrationSettings(
            database_url=await database_factory("integration", INTEGRATION_MIGRATIONS),
            grpc_port=integration_port,
            http_port=free_port(),
            bind_host="127.0.0.1",
            amqp_url=amqp_url(),
            events_exchange=broker_scope.exchange,
            queue_prefix=broker_scope.queue_prefix,
            pricing_addr=pricing_service.addr,
            inventory_addr=f"127.0.0.1:{free_port()}",  # not running: availability unknown
            orders_addr=f"127.0.0.1:{free_port()}",
            woo_base_url=fakes.woo_url,
            woo_consumer_key=fakes.woo_consumer_key,
            woo_consumer_secret=fakes.woo_consumer_secret,
            upstream_timeout_seconds=1.0,
            db_pool_size=3,
            db_max_overflow=2,
        ),
        queue_prefix=broker_scope.queue_prefix,
    ).runtime
    await integration.start()
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


def field_errors(reply: Any) -> dict[str, Any]:
    body = reply.json()
    assert body["error"]["code"] == "VALIDATION_ERROR", body
    return dict(body["error"].get("details", {}).get("fields", {}))


async def test_an_unknown_mode_or_a_missing_one_is_400_naming_the_field(
    shop_gateway: Gateway,
) -> None:
    admin = await shop_gateway.admin()
    for body in ({"mode": "everything"}, {}, {"mode": 3}, {"mode": None}):
        reply = await shop_gateway.client.post(SYNC, json=body, headers=admin)
        assert reply.status_code == 400, (body, reply.text)
        assert "mode" in field_errors(reply), (body, reply.text)
    extra = await shop_gateway.client.post(
        SYNC, json={"mode": "full", "force": True}, headers=admin
    )
    assert extra.status_code == 400, extra.text
    assert "force" in field_errors(extra)
    not_json = await shop_gateway.client.post(
        SYNC, content=b"mode=full", headers={**admin, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400, not_json.text
    # Nothing was started by any of them.
    status = await shop_gateway.client.get(STATUS, headers=admin)
    assert status.status_code == 200, status.text
    data = status.json()["data"]
    assert data["current_run"] is None
    assert data["last_full_run"] is None


async def test_roles_reading_and_starting_a_sync(shop_gateway: Gateway) -> None:
    gw = shop_gateway
    _, finance = await gw.user_with_role("finance")
    _, sales = await gw.user_with_role("sales")
    _, warehouse = await gw.user_with_role("warehouse")
    _, reader = await gw.user_with_role("user")

    # The test client keeps the cookies of its last login: without them, nobody.
    gw.client.cookies.clear()
    assert (await gw.client.get(STATUS)).status_code == 401
    assert (await gw.client.post(SYNC, json={"mode": "full"})).status_code == 401
    assert (await gw.client.get(STATUS, headers=finance)).status_code == 200
    for headers in (sales, warehouse, reader):
        assert (await gw.client.get(STATUS, headers=headers)).status_code == 403
    # Starting a sync is the admin's alone.
    for headers in (finance, sales, warehouse, reader):
        refused = await gw.client.post(SYNC, json={"mode": "incremental"}, headers=headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "FORBIDDEN"
    assert (await gw.client.get(STATUS, headers=await gw.admin())).json()["data"][
        "last_incremental_run"
    ] is None


async def test_a_started_sync_is_reported_by_the_status(shop_gateway: Gateway) -> None:
    gw = shop_gateway
    admin = await gw.admin()
    first = await gw.client.get(STATUS, headers=admin)
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert data["circuit_breaker"]["name"] == "woocommerce"
    assert data["circuit_breaker"]["state"] == "CLOSED"
    assert (data["pending_items"], data["failed_items"], data["failures"]) == (0, 0, [])

    # Incremental with nothing pending: done in the request, an empty successful run.
    inc = await gw.client.post(SYNC, json={"mode": "incremental"}, headers=admin)
    assert inc.status_code == 202, inc.text
    run = inc.json()["data"]
    assert (run["mode"], run["status"], run["items_total"]) == ("incremental", "succeeded", 0)
    assert run["finished_at"] is not None
    after = (await gw.client.get(STATUS, headers=admin)).json()["data"]
    assert after["last_incremental_run"]["id"] == run["id"]

    # Full: accepted at once, runs in the background, then reported as the last full run.
    full = await gw.client.post(SYNC, json={"mode": "full"}, headers=admin)
    assert full.status_code == 202, full.text
    started = full.json()["data"]
    assert started["mode"] == "full"
    assert started["status"] in ("running", "succeeded", "partial", "failed")

    async def status() -> dict[str, Any]:
        return dict((await gw.client.get(STATUS, headers=admin)).json()["data"])

    done = await eventually(
        status,
        lambda s: (s["last_full_run"] or {}).get("id") == started["id"],
        timeout=30,
        what="full run reported",
    )
    assert done["current_run"] is None
    assert done["last_full_run"]["finished_at"] is not None
    assert done["last_full_run"]["status"] in ("succeeded", "partial", "failed")
