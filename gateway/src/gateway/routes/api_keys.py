"""API keys of machine clients (REST_API.md "Partners"): POST/GET /api-keys,
DELETE /api-keys/{id}; admin only. See gateway.apikeys for the scheme."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway import apikeys, rbac
from gateway.deps import DbSession, Orders, Tokens, require
from gateway.envelope import Envelope, ok
from gateway.errors import ApiError
from gateway.openapi import errors
from gateway.rbac import Role
from gateway.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from gateway.security import Principal

router = APIRouter(prefix="/api-keys", tags=["api-keys"])

Admin = Annotated[Principal, require("api-keys:admin")]


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(400, "VALIDATION_ERROR", message, {"fields": {field: message}})


@router.post(
    "",
    status_code=201,
    response_model=Envelope[ApiKeyCreated],
    responses=errors(404),
    summary="Create an API key for a partner (customer_id) or a staff role; the key is "
    "in this reply only. Several active keys per client are allowed (rotation: create "
    "the new one, switch, delete the old one)",
)
async def create_api_key(
    body: ApiKeyCreate,
    session: DbSession,
    tokens: Tokens,
    orders: Orders,
    admin: Admin,
) -> JSONResponse:
    role = body.role or (Role.PARTNER if body.customer_id is not None else None)
    if role is None:
        raise _invalid("role", "required without customer_id")
    if (role == Role.PARTNER) != (body.customer_id is not None):
        raise _invalid("customer_id", "required with role partner, else not allowed")
    unknown = sorted(s for s in body.scopes if s not in rbac.SCOPES)
    if unknown:
        raise _invalid("scopes", f"unknown scope(s): {', '.join(unknown)}")
    now = tokens.clock.now()
    if body.expires_at is not None and body.expires_at <= now:
        raise _invalid("expires_at", "must be in the future")
    if body.customer_id is not None:
        await orders.get_customer(str(body.customer_id))  # 404 CUSTOMER_NOT_FOUND

    row, key = await apikeys.create_key(
        session=session,
        name=body.name,
        role=role.value,
        customer_id=body.customer_id,
        scopes=list(body.scopes),
        expires_at=body.expires_at,
        rate_limit_per_minute=body.rate_limit_per_minute,
        created_by=admin.user_id,
        now=now,
    )
    await session.commit()
    created = ApiKeyCreated(**ApiKeyPublic.of(row).model_dump(), key=key)
    # No Idempotency-Key replay here on purpose: a stored reply would keep the key in
    # clear for 24 h. A client that lost the reply lists the keys and deletes the extra.
    return ok(created, status_code=201)


@router.get(
    "",
    response_model=Envelope[list[ApiKeyPublic]],
    summary="API keys, newest first (never their secrets)",
)
async def list_api_keys(
    session: DbSession,
    _: Admin,
    customer_id: uuid.UUID | None = None,
    include_revoked: bool = False,
) -> JSONResponse:
    rows = await apikeys.list_keys(
        session=session, customer_id=customer_id, include_revoked=include_revoked
    )
    return ok([ApiKeyPublic.of(r) for r in rows])


@router.delete(
    "/{key_id}",
    response_model=Envelope[ApiKeyPublic],
    responses=errors(404),
    summary="Revoke an API key: refused at once here, on every replica within "
    "GATEWAY_TOKEN_CHECK_SECONDS",
)
async def revoke_api_key(
    key_id: uuid.UUID, request: Request, session: DbSession, tokens: Tokens, _: Admin
) -> JSONResponse:
    row = await apikeys.revoke_key(session=session, key_id=key_id, now=tokens.clock.now())
    await session.commit()
    keys: apikeys.ApiKeys = request.app.state.api_keys
    keys.forget(row.prefix)
    return ok(ApiKeyPublic.of(row))
