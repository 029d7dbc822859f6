"""FastAPI dependencies of the gateway, as `Annotated` aliases (one place for all).

* `DbSession` — an AsyncSession on the gateway's own database.
* `CurrentUser` — the verified `Principal` of the access token (Bearer header or the
  `access_token` cookie; verifying it needs no database read) or of an API key
  (`X-API-Key: cyk_…` or `Authorization: Bearer cyk_…`, `gateway.apikeys`).
* `require("orders:write")` — authorisation of one route against `gateway.rbac`:
  `user: Annotated[Principal, require("orders:write")]` or
  `dependencies=[require("orders:write")]`. Every /api/v1 route declares exactly one.
* `Limit`, `Cursor` — the list query parameters.
* `Settings`, `Tokens` — shared singletons from `app.state`.
* `Pricing`, `Inventory`, `Orders`, … — the upstream clients (`gateway.clients`); the
  only place their gRPC stubs are built.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import (
    APIKeyCookie,
    APIKeyHeader,
    HTTPAuthorizationCredentials,
    HTTPBearer,
)
from sqlalchemy.ext.asyncio import AsyncSession

from cypher.integration.v1 import integration_pb2_grpc
from cypher.inventory.v1 import inventory_pb2_grpc
from cypher.orders.v1 import orders_pb2_grpc
from cypher.pricing.v1 import pricing_pb2_grpc
from cypher.quotations.v1 import quotations_pb2_grpc
from cypher.suppliers.v1 import suppliers_pb2_grpc
from cypher_runtime.context import actor_var
from cypher_runtime.db import Database
from gateway import apikeys, rbac
from gateway.clients.integration import IntegrationClient
from gateway.clients.inventory import InventoryClient
from gateway.clients.orders import OrdersClient
from gateway.clients.pricing import PricingClient
from gateway.clients.quotations import QuotationsClient
from gateway.clients.suppliers import SuppliersClient
from gateway.errors import ApiError
from gateway.revocation import TokenVersions
from gateway.security import InvalidToken, Principal, TokenService
from gateway.settings import GatewaySettings
from gateway.upstreams import Upstreams

# Dependencies are `async def` on purpose, even trivial ones: FastAPI runs a plain `def`
# dependency in a worker thread, a thread hop per dependency per request (seen in the
# benchmark's profile).

ACCESS_COOKIE = "access_token"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFRESH_COOKIE = "refresh_token"
_PRINCIPAL_KEY = "principal"
API_KEY_HEADER = "X-API-Key"
# The per-key rate limit (requests per minute) of the request's API key, when it has one.
KEY_RATE_KEY = "api_key_rate"
_NOT_AUTHENTICATED = object()


async def get_settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


async def get_tokens(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with db.sessions() as session:
        yield session


Settings = Annotated[GatewaySettings, Depends(get_settings)]
Tokens = Annotated[TokenService, Depends(get_tokens)]
Db = Annotated[Database, Depends(get_database)]
DbSession = Annotated[AsyncSession, Depends(get_session)]

# Cursor pagination of every list endpoint (REST_API.md): `limit: Limit = 50`.
DEFAULT_LIMIT = 50
Limit = Annotated[int, Query(ge=1, le=200, description="page size (default 50, max 200)")]
Cursor = Annotated[
    str | None, Query(max_length=1000, description="`metadata.next_cursor` of the previous page")
]


def access_token_of(headers: Any, cookies: dict[str, str]) -> str | None:
    """The bearer token, else the cookie. The header wins so an API client is never
    confused by a stale browser cookie."""
    auth: str | None = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return cookies.get(ACCESS_COOKIE) or None


def api_key_of(headers: Any) -> str | None:
    """An API key sent as `X-API-Key` or as a bearer token starting with `cyk_`."""
    key: str | None = headers.get("x-api-key")
    if key:
        return key.strip()
    auth: str | None = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip().startswith(apikeys.KEY_PREFIX):
            return value.strip()
    return None


async def authenticate(request: Request) -> Principal | None:
    """`resolve_principal`, API keys included (they need a database read, cached per
    replica; see gateway.apikeys). The rate-limit middleware and `current_user` call it;
    the result is remembered on the request for everything after."""
    state = request.scope.setdefault("state", {})
    cached = state.get(_PRINCIPAL_KEY)
    if cached is not None:
        return None if cached is _NOT_AUTHENTICATED else cached  # type: ignore[no-any-return]
    key = api_key_of(request.headers)
    if key is None:
        return resolve_principal(request)
    keys: apikeys.ApiKeys = request.app.state.api_keys
    verified = await keys.verify(key)
    if verified is None:
        state[_PRINCIPAL_KEY] = _NOT_AUTHENTICATED
        return None
    principal, per_minute = verified
    state[_PRINCIPAL_KEY] = principal
    state[KEY_RATE_KEY] = per_minute
    return principal


def resolve_principal(request: Request) -> Principal | None:
    """Verify the request's access token once and remember the result on the request
    (the rate-limit middleware and the route dependencies share it). An API key is
    only known once `authenticate` (async) has run for the request."""
    state = request.scope.setdefault("state", {})
    cached = state.get(_PRINCIPAL_KEY)
    if cached is not None:
        return None if cached is _NOT_AUTHENTICATED else cached  # type: ignore[no-any-return]
    if api_key_of(request.headers) is not None:
        return None
    token = access_token_of(request.headers, request.cookies)
    principal: Principal | None = None
    if token is not None:
        try:
            tokens: TokenService = request.app.state.tokens
            principal = tokens.verify_access(token)
        except InvalidToken:
            principal = None
    state[_PRINCIPAL_KEY] = principal if principal is not None else _NOT_AUTHENTICATED
    return principal


# Declared so the OpenAPI document names both ways to authenticate (either suffices);
# `resolve_principal` reads the token itself, once per request.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="`Authorization: Bearer <access token>` or `Authorization: Bearer <API key>`",
)
api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    scheme_name="apiKey",
    description="an API key `cyk_<prefix>_<secret>` (POST /api-keys) for machine clients",
)
cookie_scheme = APIKeyCookie(
    name=ACCESS_COOKIE,
    auto_error=False,
    scheme_name="cookie",
    description="the HttpOnly `access_token` cookie set by /auth/login; a write must "
    "also send the `csrf_token` cookie's value in the `X-CSRF-Token` header",
)


async def current_user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    _cookie: Annotated[str | None, Depends(cookie_scheme)],
    _key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    principal = await authenticate(request)
    if principal is None:
        raise ApiError(
            401,
            "UNAUTHENTICATED",
            "a valid access token or API key is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if principal.key_id is not None:
        # Revocation and expiry were checked by gateway.apikeys; a key is never a cookie.
        actor_var.set(principal.user_id)
        return principal
    versions: TokenVersions = request.app.state.token_versions
    standing = await versions.standing(principal.user_id)
    if standing is None or not standing.active or standing.version != principal.version:
        raise ApiError(
            401,
            "TOKEN_REVOKED",
            "this access token was revoked (user deactivated, role or password changed)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if bearer is None and request.method in WRITE_METHODS:
        check_csrf(request)
    # Upstream services record who did what from the gRPC metadata (x-actor).
    actor_var.set(principal.user_id)
    return principal


def check_csrf(request: Request) -> None:
    """Double submit: a write authenticated by the cookie must echo the `csrf_token`
    cookie (readable by the site's own script only) in `X-CSRF-Token`. Another site can
    make the browser send the cookie, but cannot read it to send the header. Bearer
    calls carry no ambient credential and are not checked."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not header or not hmac.compare_digest(cookie, header):
        raise ApiError(
            403,
            "CSRF_FAILED",
            f"a cookie-authenticated write needs the {CSRF_HEADER} header "
            f"equal to the {CSRF_COOKIE} cookie",
        )


CurrentUser = Annotated[Principal, Depends(current_user)]


class PermissionCheck:
    """A dependency callable carrying its permission, so tests can walk the routes
    and read which permission each one declares."""

    def __init__(self, permission: str) -> None:
        if permission not in rbac.PERMISSIONS:
            raise KeyError(f"unknown permission {permission!r}; add it to gateway/rbac.py")
        self.permission = permission

    async def __call__(self, user: CurrentUser) -> Principal:
        if not rbac.principal_allowed(user.role, user.scopes, self.permission):
            what = f"role {user.role!r}" if user.key_id is None else "this API key"
            raise ApiError(
                403,
                "FORBIDDEN",
                f"{what} may not do this",
                {"required_permission": self.permission},
            )
        return user

    def __repr__(self) -> str:
        return f"require({self.permission!r})"


def require(permission: str) -> Any:
    """`Depends` on a permission check; the check returns the `Principal`."""
    return Depends(PermissionCheck(permission))


# --- upstream clients (stub and client built once per process, see Upstreams.client) ---


async def pricing_client(request: Request) -> PricingClient:
    return _upstreams(request).client(PricingClient, pricing_pb2_grpc.PricingServiceStub)


async def inventory_client(request: Request) -> InventoryClient:
    return _upstreams(request).client(InventoryClient, inventory_pb2_grpc.InventoryServiceStub)


async def orders_client(request: Request) -> OrdersClient:
    return _upstreams(request).client(OrdersClient, orders_pb2_grpc.OrdersServiceStub)


async def quotations_client(request: Request) -> QuotationsClient:
    return _upstreams(request).client(QuotationsClient, quotations_pb2_grpc.QuotationsServiceStub)


async def suppliers_client(request: Request) -> SuppliersClient:
    return _upstreams(request).client(SuppliersClient, suppliers_pb2_grpc.SuppliersServiceStub)


async def integration_client(request: Request) -> IntegrationClient:
    return _upstreams(request).client(
        IntegrationClient, integration_pb2_grpc.IntegrationServiceStub
    )


UPSTREAM_CLIENTS = frozenset(
    {
        pricing_client,
        inventory_client,
        orders_client,
        quotations_client,
        suppliers_client,
        integration_client,
    }
)


def _upstreams(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


Pricing = Annotated[PricingClient, Depends(pricing_client)]
Inventory = Annotated[InventoryClient, Depends(inventory_client)]
Orders = Annotated[OrdersClient, Depends(orders_client)]
Quotations = Annotated[QuotationsClient, Depends(quotations_client)]
Suppliers = Annotated[SuppliersClient, Depends(suppliers_client)]
Integration = Annotated[IntegrationClient, Depends(integration_client)]
