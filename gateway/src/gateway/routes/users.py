"""Admin user management (REST_API.md "Auth and users"): POST/GET /users, GET/PATCH /users/{id}."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway import identity
from gateway.deps import DEFAULT_LIMIT, Cursor, DbSession, Limit, Orders, Tokens, require
from gateway.envelope import Envelope, ok
from gateway.errors import ApiError
from gateway.idempotency import IdempotencyDep
from gateway.openapi import errors
from gateway.rbac import Role
from gateway.revocation import TokenVersions
from gateway.schemas import UserCreate, UserPublic, UserUpdate
from gateway.security import Principal

router = APIRouter(prefix="/users", tags=["users"])

Admin = Annotated[Principal, require("users:admin")]


async def check_binding(role: str, customer_id: uuid.UUID | None, orders: Orders) -> None:
    """Role partner ⇔ a customer: 400 otherwise; the customer must exist (orders) → 404."""
    if (role == Role.PARTNER.value) != (customer_id is not None):
        raise ApiError(
            400,
            "VALIDATION_ERROR",
            "role partner requires customer_id, and customer_id requires role partner",
            {"fields": {"customer_id": "required with role partner, else not allowed"}},
        )
    if customer_id is not None:
        await orders.get_customer(str(customer_id))  # 404 CUSTOMER_NOT_FOUND upstream


@router.post(
    "",
    status_code=201,
    response_model=Envelope[UserPublic],
    summary="Create a user (Idempotency-Key honoured)",
)
async def create_user(
    body: UserCreate,
    session: DbSession,
    tokens: Tokens,
    orders: Orders,
    idem: IdempotencyDep,
    _: Admin,
) -> JSONResponse:
    await check_binding(body.role.value, body.customer_id, orders)

    async def create() -> JSONResponse:
        user = await identity.create_user(session=session, data=body, now=tokens.clock.now())
        await session.commit()
        return ok(UserPublic.of(user), status_code=201)

    # The fingerprint covers the password too, but only as part of a hash; the stored
    # replay is the public user, which holds no secret.
    return await idem.run(body.model_dump(mode="json"), create)


@router.get("", response_model=Envelope[list[UserPublic]], summary="List users by email")
async def list_users(
    session: DbSession, _: Admin, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> JSONResponse:
    users, next_cursor = await identity.list_users(session=session, limit=limit, cursor=cursor)
    return ok([UserPublic.of(u) for u in users], next_cursor=next_cursor)


@router.get("/{user_id}", response_model=Envelope[UserPublic], summary="One user")
async def get_user(user_id: uuid.UUID, session: DbSession, _: Admin) -> JSONResponse:
    user = await identity.get_user_or_raise(session=session, user_id=user_id)
    return ok(UserPublic.of(user))


@router.patch(
    "/{user_id}",
    response_model=Envelope[UserPublic],
    responses=errors(403, 409),
    summary="Change a user",
)
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    request: Request,
    session: DbSession,
    tokens: Tokens,
    orders: Orders,
    admin: Admin,
) -> JSONResponse:
    user = await identity.get_user_or_raise(session=session, user_id=user_id)
    changes = body.model_dump(exclude_unset=True)
    if "role" in changes or "customer_id" in changes:
        role = body.role.value if body.role is not None else user.role
        customer = body.customer_id if "customer_id" in changes else user.customer_id
        await check_binding(role, customer, orders)
    await identity.update_user(
        session=session, user=user, data=body, now=tokens.clock.now(), actor_id=admin.user_id
    )
    await session.commit()
    # Other replicas see a revocation within GATEWAY_TOKEN_CHECK_SECONDS; this one at once.
    versions: TokenVersions = request.app.state.token_versions
    versions.forget(str(user_id))
    return ok(UserPublic.of(user))
