"""Route-by-route authorisation: every /api/v1 route but the public ones declares a
permission, and each role is allowed or refused exactly as gateway/rbac.py says."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from gateway import rbac
from gateway.app import PUBLIC_API_PATHS
from gateway.deps import PermissionCheck

from ..conftest import Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

# The permissions of the routes this team owns; other areas are checked generically.
EXPECTED = {
    ("POST", "/api/v1/auth/logout"): "self:manage",
    ("GET", "/api/v1/auth/me"): "self:manage",
    ("POST", "/api/v1/auth/2fa/setup"): "self:manage",
    ("POST", "/api/v1/auth/2fa/enable"): "self:manage",
    ("POST", "/api/v1/auth/2fa/disable"): "self:manage",
    ("POST", "/api/v1/users"): "users:admin",
    ("GET", "/api/v1/users"): "users:admin",
    ("GET", "/api/v1/users/{user_id}"): "users:admin",
    ("PATCH", "/api/v1/users/{user_id}"): "users:admin",
    ("POST", "/api/v1/products"): "products:write",
    ("GET", "/api/v1/products"): "products:read",
    ("GET", "/api/v1/products/{sku}"): "products:read",
    ("PATCH", "/api/v1/products/{sku}"): "products:write",
    ("GET", "/api/v1/pricing/{sku}"): "pricing:read",
    ("POST", "/api/v1/pricing/quote"): "pricing:read",
    ("GET", "/api/v1/pricing/tiers"): "tiers:read",
    ("PUT", "/api/v1/customers/{customer_id}/tier"): "tiers:write",
    ("POST", "/api/v1/pricing/promotions"): "promotions:write",
    ("GET", "/api/v1/pricing/promotions"): "promotions:read",
    ("POST", "/api/v1/pricing/promotions/{promotion_id}/end"): "promotions:write",
    # SmartBill documents and the external links: finance and admin (issue 11)
    ("GET", "/api/v1/invoices"): "invoices:read",
    ("GET", "/api/v1/invoices/{invoice_id}"): "invoices:read",
    ("GET", "/api/v1/invoices/{invoice_id}/pdf"): "invoices:read",
    ("POST", "/api/v1/invoices"): "invoices:write",
    ("POST", "/api/v1/orders/{order_id}/proforma"): "orders:money",
    ("GET", "/api/v1/integrations/status"): "integrations:read",
    # webhooks: admin, and a customer-bound principal for its own customer's endpoints
    ("POST", "/api/v1/webhooks"): "webhooks:manage",
    ("GET", "/api/v1/webhooks"): "webhooks:manage",
    ("GET", "/api/v1/webhooks/{webhook_id}"): "webhooks:manage",
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): "webhooks:manage",
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): "webhooks:manage",
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): "webhooks:manage",
    ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"): "webhooks:manage",
    # API keys of machine clients: admin only (issue 17)
    ("POST", "/api/v1/api-keys"): "api-keys:admin",
    ("GET", "/api/v1/api-keys"): "api-keys:admin",
    ("DELETE", "/api/v1/api-keys/{key_id}"): "api-keys:admin",
}
# The partner role is walked route by route, with two partners bound to two customers,
# in gateway/tests/test_partner_routes.py (it needs the orders service to exist).


def _permissions(route: Route) -> list[str]:
    found: list[str] = []
    stack = [route.api_route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, PermissionCheck):
            found.append(dependant.call.permission)
        stack.extend(dependant.dependencies)
    return found


@dataclass(frozen=True)
class Route:
    path: str
    api_route: APIRoute


def _api_routes(gateway: Gateway) -> list[tuple[str, Route]]:
    """Every (method, route) under /api/v1, with the full path. FastAPI keeps included
    routers lazily, so walk the effective route contexts rather than `app.routes` alone."""
    found: list[tuple[str, Route]] = []
    for context in iter_route_contexts(gateway.app.routes):
        original = context.original_route
        path = context.path
        if isinstance(original, APIRoute) and path and path.startswith("/api/v1"):
            found.extend((m, Route(path, original)) for m in sorted(original.methods or ()))
    assert len(found) > 20, "route walk found too few routes"
    return found


async def test_every_non_public_api_route_declares_exactly_one_permission(
    gateway: Gateway,
) -> None:
    missing, several = [], []
    for method, route in _api_routes(gateway):
        if route.path in PUBLIC_API_PATHS:
            assert not _permissions(route), f"public route {route.path} asks for a permission"
            continue
        perms = _permissions(route)
        if not perms:
            missing.append(f"{method} {route.path}")
        elif len(set(perms)) > 1:
            several.append(f"{method} {route.path}: {perms}")

    assert not missing, f"routes without a permission: {missing}"
    assert not several, f"routes with several permissions: {several}"


async def test_owned_routes_declare_the_expected_permission(gateway: Gateway) -> None:
    declared = {
        (method, route.path): _permissions(route)[0]
        for method, route in _api_routes(gateway)
        if route.path not in PUBLIC_API_PATHS
    }

    for key, permission in EXPECTED.items():
        assert declared.get(key) == permission, key


def _concrete(path: str) -> str:
    """Fill path parameters with well-formed values (the handler may then 404)."""
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


async def test_each_role_is_allowed_or_refused_route_by_route(gateway: Gateway) -> None:
    headers: dict[str, dict[str, str]] = {"admin": await gateway.admin()}
    for role in ("sales", "warehouse", "finance", "user"):
        _, headers[role] = await gateway.user_with_role(role)
    failures: list[str] = []

    for method, route in _api_routes(gateway):
        if route.path in PUBLIC_API_PATHS:
            continue
        permission = _permissions(route)[0]
        url = _concrete(route.path)
        for role, auth in headers.items():
            kwargs: dict[str, Any] = {"headers": auth}
            if method in {"POST", "PUT", "PATCH"}:
                kwargs["json"] = {}
            reply = await gateway.client.request(method, url, **kwargs)
            gateway.client.cookies.clear()
            allowed = rbac.allowed(role, permission)
            if allowed and reply.status_code in (401, 403):
                failures.append(f"{role} refused {method} {route.path}: {reply.status_code}")
            if not allowed and reply.status_code != 403:
                failures.append(f"{role} not refused {method} {route.path}: {reply.status_code}")
            if not allowed:
                assert reply.json()["error"]["code"] == "FORBIDDEN"

    assert not failures, "\n".join(failures)


async def test_anonymous_is_401_on_every_protected_route(gateway: Gateway) -> None:
    failures = []
    for method, route in _api_routes(gateway):
        if route.path in PUBLIC_API_PATHS:
            continue
        reply = await gateway.client.request(method, _concrete(route.path))
        if reply.status_code != 401:
            failures.append(f"{method} {route.path}: {reply.status_code}")

    assert not failures, failures
