"""Admin user management (REST_API.md "Auth and users"): POST/GET /users, GET/PATCH /users/{id}."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway import identity
from gateway.deps import DEFAULT_LIMIT, Cursor, DbSession, Limit, Tokens, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep
from gateway.openapi import errors
from gateway.revocation import TokenVersions
from gateway.schemas import UserCreate, UserPublic, UserUpdate
from gateway.security import Principal

router = APIRouter(prefix="/users", tags=["users"])

Admin = Annotated[Principal, require("users:admin")]


@router.post(
    "",
    status_code=201,
    response_model=Envelope[UserPublic],
    summary="Create a user (Idempotency-Key honoured)",
)
async def create_user(
    body: UserCreate, session: DbSession, tokens: Tokens, idem: IdempotencyDep, _: Admin
) -> JSONResponse:
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
    admin: Admin,
) -> JSONResponse:
    user = await identity.get_user_or_raise(session=session, user_id=user_id)
    await identity.update_user(
        session=session, user=user, data=body, now=tokens.clock.now(), actor_id=admin.user_id
    )
    await session.commit()
    # Other replicas see a revocation within GATEWAY_TOKEN_CHECK_SECONDS; this one at once.
    versions: TokenVersions = request.app.state.token_versions
    versions.forget(str(user_id))
    return ok(UserPublic.of(user))
