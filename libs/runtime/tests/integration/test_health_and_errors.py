"""Readiness and gRPC health follow the real state of the database and the broker; domain errors
cross gRPC as status codes with machine-readable details."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import pytest_asyncio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.errors import DomainError, ErrorKind, ValidationFailed
from cypher_runtime.grpc_client import make_channel
from cypher_runtime.grpc_errors import error_from_rpc
from cypher_runtime.settings import ServiceSettings
from cypher_testkit.broker import BrokerScope
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import TcpProxy, free_port


class OutOfStock(DomainError):
    code = "INSUFFICIENT_STOCK"
    kind = ErrorKind.EXHAUSTED


class FailingPricing(pricing_pb2_grpc.PricingServiceServicer):
    """Raises the errors a real servicer would, to check the mapping end to end."""

    async def GetPrice(self, request: Any, context: Any) -> Any:
        if request.quantity <= 0:
            raise ValidationFailed({"quantity": "must be positive"})
        raise OutOfStock("not enough", details={"shortfall": {request.sku: 3}})


def _settings(db_url: str, amqp_url: str, scope: BrokerScope) -> ServiceSettings:
    return ServiceSettings(
        database_url=db_url,
        amqp_url=amqp_url,
        events_exchange=scope.exchange,
        grpc_port=free_port(),
        http_port=free_port(),
        bind_host="127.0.0.1",
        health_check_seconds=0.1,
    )


@pytest_asyncio.fixture(loop_scope="session")
async def db_proxy() -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def broker_proxy() -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def runtime(
    database_factory: Callable[[str, Path | None], Awaitable[str]],
    broker_scope: BrokerScope,
    db_proxy: TcpProxy,
    broker_proxy: TcpProxy,
) -> AsyncIterator[Runtime]:
    url = await database_factory("health", None)
    via_proxy = url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{db_proxy.port}/")
    amqp = broker_scope.amqp_url.replace("127.0.0.1:5672", f"127.0.0.1:{broker_proxy.port}")
    rt = Runtime("healthcheck", _settings(via_proxy, amqp, broker_scope))
    rt.add_grpc(
        "cypher.pricing.v1.PricingService",
        lambda server: pricing_pb2_grpc.add_PricingServiceServicer_to_server(
            FailingPricing(),  # type: ignore[abstract]
            server,
        ),
    )
    await rt.start()
    yield rt
    await rt.stop()


async def _grpc_status(rt: Runtime) -> int:
    assert rt.grpc is not None
    async with grpc.aio.insecure_channel(f"127.0.0.1:{rt.grpc.port}") as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="cypher.pricing.v1.PricingService"), timeout=2
        )
    return int(reply.status)


async def _ready(rt: Runtime) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"http://127.0.0.1:{rt.settings.http_port}/ready", timeout=5)


SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def test_ready_and_grpc_health_follow_the_database_without_restart(
    runtime: Runtime, db_proxy: TcpProxy
) -> None:
    await eventually(lambda: _grpc_status(runtime), lambda s: s == SERVING)
    assert (await _ready(runtime)).status_code == 200

    await db_proxy.stop()
    reply = await eventually(lambda: _ready(runtime), lambda r: r.status_code == 503)
    body = reply.json()
    assert set(body["failing"]) == {"database"}
    assert reply.headers["retry-after"]
    await eventually(lambda: _grpc_status(runtime), lambda s: s == NOT_SERVING)

    await db_proxy.start()
    await eventually(lambda: _ready(runtime), lambda r: r.status_code == 200, timeout=20)
    await eventually(lambda: _grpc_status(runtime), lambda s: s == SERVING)


async def test_a_broker_outage_degrades_but_keeps_the_service_ready_and_serving(
    runtime: Runtime, broker_proxy: TcpProxy
) -> None:
    """The outbox holds events while the broker is away: a broker blink must not take
    every pod out of its Service. /ready says so, gRPC health stays SERVING."""
    await eventually(lambda: _grpc_status(runtime), lambda s: s == SERVING)
    assert (await _ready(runtime)).json()["status"] == "ready"

    await broker_proxy.stop()  # live AMQP connection dropped, reconnects refused
    reply = await eventually(lambda: _ready(runtime), lambda r: r.json()["status"] == "degraded")
    assert reply.status_code == 200
    assert set(reply.json()["degraded"]) == {"broker"}
    assert await _grpc_status(runtime) == SERVING

    await broker_proxy.start()
    await eventually(lambda: _ready(runtime), lambda r: r.json()["status"] == "ready", timeout=30)
    assert await _grpc_status(runtime) == SERVING


async def test_liveness_and_metrics_stay_up(runtime: Runtime) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runtime.settings.http_port}") as c:
        assert (await c.get("/health")).json()["status"] == "ok"
        metrics = (await c.get("/metrics")).text
    assert "cypher_dependency_up" in metrics
    assert "cypher_outbox_backlog" in metrics


async def test_domain_errors_cross_grpc_with_code_and_details(runtime: Runtime) -> None:
    assert runtime.grpc is not None
    channel = make_channel(f"127.0.0.1:{runtime.grpc.port}")
    stub = pricing_pb2_grpc.PricingServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await stub.GetPrice(pricing_pb2.GetPriceRequest(sku="LED-1", quantity=0))
    with pytest.raises(grpc.aio.AioRpcError) as exhausted:
        await stub.GetPrice(pricing_pb2.GetPriceRequest(sku="LED-1", quantity=5))
    await channel.close()

    bad = error_from_rpc(invalid.value)
    assert bad.status == grpc.StatusCode.INVALID_ARGUMENT
    assert (bad.code, bad.details) == (
        "VALIDATION_ERROR",
        {"fields": {"quantity": "must be positive"}},
    )
    short = error_from_rpc(exhausted.value)
    assert short.status == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert short.code == "INSUFFICIENT_STOCK"
    assert short.details == {"shortfall": {"LED-1": 3.0}}


async def test_unimplemented_rpc_answers_unimplemented(runtime: Runtime) -> None:
    assert runtime.grpc is not None
    async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc.port}") as channel:
        stub = pricing_pb2_grpc.PricingServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetProduct(pricing_pb2.GetProductRequest(sku="X"), timeout=2)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
