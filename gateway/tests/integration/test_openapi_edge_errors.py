"""The edge guard answers 400 on every route (a control character in any query parameter,
whatever the route takes): the served document lists 400 on every operation, so a client
built from it — and the fuzzer's status-code conformance check — expects it."""

from __future__ import annotations

import pytest

from ..conftest import Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_route_without_parameters_answers_and_documents_400(gateway: Gateway) -> None:
    for path in ("/api/v1/health", "/api/v1/auth/me"):
        reply = await gateway.client.get(f"{path}?anything=%00", headers=await gateway.admin())
        assert reply.status_code == 400, (path, reply.text)
        assert list(reply.json()["error"]["details"]["fields"]) == ["anything"], reply.text

    doc = (await gateway.client.get("/openapi.json")).json()
    missing = [
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if path.startswith("/api/v1")
        and not path.endswith("/metrics")
        and "400" not in op["responses"]
    ]
    assert missing == []
