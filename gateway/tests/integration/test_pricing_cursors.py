"""The pricing lists through the gateway refuse a cursor they did not issue: 400 naming
the cursor, never page 1 (silently wrong) nor a 5xx — whatever shape the garbage has."""

from __future__ import annotations

import base64
import json

import pytest

from ..conftest import Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

LISTS = ["/api/v1/products", "/api/v1/pricing/promotions"]
GARBAGE = [
    "garbage",
    "WyJ4IiwieSJd",  # base64 of ["x","y"]
    base64.urlsafe_b64encode(json.dumps({"k": 1}).encode()).decode(),
    base64.urlsafe_b64encode(b"\x00\xff\xfe").decode(),
    "%25%00",
    "=",
]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("cursor", GARBAGE)
async def test_a_garbage_cursor_on_a_pricing_list_is_400(
    gateway: Gateway, path: str, cursor: str
) -> None:
    reply = await gateway.client.get(path, params={"cursor": cursor}, headers=await gateway.admin())

    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["metadata"]["request_id"]
    assert "cursor" in " ".join(body["error"]["details"]["fields"]), body
