"""The whole stack boots and the gateway's operational endpoints behave per REST_API.md."""

from __future__ import annotations

import httpx

from cypher_testkit.polling import eventually
from cypher_testkit.stack import SERVICES, LocalStack


async def test_every_service_reports_serving_over_grpc_health(stack: LocalStack) -> None:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    for service in SERVICES:
        async with grpc.aio.insecure_channel(stack.grpc_addr(service.name)) as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=2
            )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING, service.name


async def test_gateway_ready_reports_green_with_request_id_echoed(stack: LocalStack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        reply = await client.get("/ready", headers={"X-Request-ID": "e2e-ready-1"})
    assert reply.status_code == 200, reply.text
    assert reply.headers["x-request-id"] == "e2e-ready-1"
    body = reply.json()
    assert body["success"] is True
    assert body["metadata"]["request_id"] == "e2e-ready-1"


async def test_unknown_route_is_a_404_in_the_envelope(stack: LocalStack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        reply = await client.get("/api/v1/no-such-thing")
    assert reply.status_code == 404
    body = reply.json()
    assert body == {
        "success": False,
        "data": None,
        "error": {"code": "NOT_FOUND", "message": "Not Found", "details": {}},
        "metadata": {"request_id": reply.headers["x-request-id"]},
    }


async def test_openapi_and_docs_are_served(stack: LocalStack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        spec = await client.get("/openapi.json")
        docs = await client.get("/docs")
    assert spec.status_code == 200
    assert spec.json()["info"]["title"] == "CYPHER API"
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


async def test_gateway_ready_names_the_service_that_is_down(stack: LocalStack) -> None:
    suppliers = stack.process("suppliers")
    suppliers.terminate()
    try:
        async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
            reply = await client.get("/ready")
        assert reply.status_code == 503
        assert reply.headers["retry-after"]
        failing = reply.json()["error"]["details"]["failing"]
        assert set(failing) == {"suppliers"}
    finally:
        suppliers.start()
        await stack.wait_service_ready("suppliers")
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:

        async def ready_status() -> int:
            return (await client.get("/ready")).status_code

        await eventually(ready_status, lambda s: s == 200, timeout=10, what="gateway ready again")


async def test_fake_external_servers_answer_where_the_services_are_told_to_look(
    stack: LocalStack,
) -> None:
    env = stack.env_for("integration")
    async with httpx.AsyncClient(timeout=5) as client:
        refused = await client.get(f"{env['INTEGRATION_SMARTBILL_BASE_URL']}/tax")
        taxes = await client.get(
            f"{env['INTEGRATION_SMARTBILL_BASE_URL']}/tax",
            params={"cif": env["INTEGRATION_SMARTBILL_CIF"]},
            auth=(env["INTEGRATION_SMARTBILL_EMAIL"], env["INTEGRATION_SMARTBILL_TOKEN"]),
        )
        shop = await client.get(
            f"{env['INTEGRATION_WOO_BASE_URL']}/wp-json/wc/v3/products",
            auth=(env["INTEGRATION_WOO_CONSUMER_KEY"], env["INTEGRATION_WOO_CONSUMER_SECRET"]),
        )
        feed = await client.get(
            f"{stack.env_for('suppliers')['SUPPLIERS_FAKE_SITES_BASE_URL']}/fsl/export.csv"
        )
        mail = await client.get(f"{stack.fakes.mail_url}/_fake/messages")
    assert refused.status_code == 401
    assert taxes.json()["taxes"]
    assert shop.status_code == 200
    assert feed.text.startswith("Cod;Denumire;Pret;Stoc;Moneda")
    assert mail.status_code == 200
    assert env["INTEGRATION_SMTP_PORT"] == str(stack.fakes.smtp_port)
