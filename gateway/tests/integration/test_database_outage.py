"""The gateway's own database away (a TCP proxy in front of PostgreSQL, cut then
restored): its own code paths — login, the token revocation check, Idempotency-Keys,
users — answer 503 SERVICE_UNAVAILABLE with Retry-After in the error envelope, never
500; /ready says 503 meanwhile and is ready again soon after the database returns,
without a restart."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlparse

import httpx
import pytest
import pytest_asyncio

from cypher_runtime.clock import FixedClock
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import TcpProxy
from gateway.settings import GatewaySettings

from ..conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Gateway, start_gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def proxied(
    gateway_settings: GatewaySettings, clock: FixedClock
) -> AsyncIterator[tuple[Gateway, TcpProxy]]:
    url = urlparse(gateway_settings.database_url)
    proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 5432)
    await proxy.start()
    settings = gateway_settings.model_copy(
        update={
            "database_url": url._replace(netloc=f"{url.username}@127.0.0.1:{proxy.port}").geturl(),
            # Every request asks the database for the token's standing.
            "token_check_seconds": 0.0,
            "rate_limit_api": "10000/minute",
            "rate_limit_writes": "10000/minute",
            "rate_limit_login": "10000/minute",
        }
    )
    try:
        async for gw in start_gateway(settings, clock):
            yield gw, proxy
    finally:
        await proxy.stop()


def _unavailable(reply: httpx.Response) -> None:
    assert reply.status_code == 503, reply.text
    body = reply.json()
    assert body["success"] is False
    assert body["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert int(reply.headers["Retry-After"]) >= 1


async def test_database_away_answers_503_with_retry_after_and_ready_comes_back(
    proxied: tuple[Gateway, TcpProxy],
) -> None:
    gateway, proxy = proxied
    admin = await gateway.admin()
    body = {
        "email": f"outage-{uuid.uuid4().hex[:8]}@cypher.local",
        "password": PASSWORD,
        "full_name": "Ana Pop",
        "role": "sales",
    }
    keyed = {**admin, "Idempotency-Key": f"outage-{uuid.uuid4().hex[:8]}"}

    await proxy.stop()  # refused from now on, live pool connections dropped
    _unavailable(await gateway.login(ADMIN_EMAIL, ADMIN_PASSWORD))  # identity
    _unavailable(await gateway.client.get("/api/v1/users", headers=admin))  # revocation check
    _unavailable(await gateway.client.post("/api/v1/users", json=body, headers=keyed))  # idem
    not_ready = await gateway.client.get("/ready")
    assert not_ready.status_code == 503
    assert "database" in not_ready.json()["error"]["details"]["failing"]

    await proxy.start()  # the database is back on the same address
    back = time.monotonic()
    await eventually(
        lambda: gateway.client.get("/api/v1/ready"),
        lambda r: r.status_code == 200 or "database" not in r.text,
        timeout=5.0,
        what="the gateway's database ready again within 5 s",
    )
    print(f"\ngateway database ready {time.monotonic() - back:.2f}s after its return")
    created = await gateway.client.post("/api/v1/users", json=body, headers=keyed)
    assert created.status_code == 201, created.text
    assert (await gateway.login(ADMIN_EMAIL, ADMIN_PASSWORD)).status_code == 200
