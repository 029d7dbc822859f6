"""The OpenAPI document describes the contract's auth, user, product and pricing paths."""

from __future__ import annotations

import pytest

from ..conftest import Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

CONTRACT = {
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/refresh": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/auth/me": {"get"},
    "/api/v1/auth/2fa/setup": {"post"},
    "/api/v1/auth/2fa/enable": {"post"},
    "/api/v1/auth/2fa/disable": {"post"},
    "/api/v1/users": {"post", "get"},
    "/api/v1/users/{user_id}": {"patch"},
    "/api/v1/products": {"post", "get"},
    "/api/v1/products/{sku}": {"get", "patch"},
    "/api/v1/pricing/{sku}": {"get"},
    "/api/v1/pricing/quote": {"post"},
    "/api/v1/pricing/tiers": {"get"},
    "/api/v1/customers/{customer_id}/tier": {"put"},
    "/api/v1/pricing/promotions": {"post", "get"},
}


async def test_openapi_describes_every_auth_user_product_and_pricing_endpoint(
    gateway: Gateway,
) -> None:
    reply = await gateway.client.get("/openapi.json")

    assert reply.status_code == 200
    paths = reply.json()["paths"]
    for path, methods in CONTRACT.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    create = paths["/api/v1/products"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create.get("parameters", []))
