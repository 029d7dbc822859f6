"""Auth endpoints (REST_API.md "Auth and users"): login, refresh, logout, me, 2FA."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway import identity, rbac
from gateway.deps import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    REFRESH_COOKIE,
    DbSession,
    Settings,
    Tokens,
    require,
)
from gateway.envelope import Envelope, ok
from gateway.errors import ApiError
from gateway.openapi import errors
from gateway.ratelimit import client_key, enforce
from gateway.schemas import (
    LoginRequest,
    Me,
    RefreshRequest,
    TokenPair,
    TotpRequest,
    TwoFactorSetup,
    UserPublic,
)
from gateway.security import Principal
from gateway.settings import GatewaySettings
from gateway.tables import User

router = APIRouter(prefix="/auth", tags=["auth"])

# The refresh cookie only travels to the auth endpoints that need it.
REFRESH_COOKIE_PATH = "/api/v1/auth"

SelfUser = Annotated[Principal, require("self:manage")]


def _session_response(issued: identity.IssuedSession, settings: GatewaySettings) -> JSONResponse:
    pair = TokenPair(
        access_token=issued.access.token,
        refresh_token=issued.refresh_token,
        expires_in=issued.access.expires_in,
        user=UserPublic.of(issued.user),
    )
    response = ok(pair)
    response.set_cookie(
        ACCESS_COOKIE,
        issued.access.token,
        max_age=settings.access_token_ttl_seconds,
        path="/",
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )
    # Readable by the site's script (not HttpOnly): it echoes it in X-CSRF-Token.
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(32),
        max_age=settings.refresh_token_ttl_seconds,
        path="/",
        httponly=False,
        secure=settings.cookie_secure,
        samesite="lax",
    )
    response.set_cookie(
        REFRESH_COOKIE,
        issued.refresh_token,
        max_age=settings.refresh_token_ttl_seconds,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )
    return response


def _clear_cookies(response: JSONResponse, settings: GatewaySettings) -> None:
    for name, path in ((ACCESS_COOKIE, "/"), (REFRESH_COOKIE, REFRESH_COOKIE_PATH)):
        response.delete_cookie(
            name, path=path, httponly=True, secure=settings.cookie_secure, samesite="lax"
        )
    response.delete_cookie(CSRF_COOKIE, path="/", secure=settings.cookie_secure, samesite="lax")


@router.post(
    "/login",
    response_model=Envelope[TokenPair],
    responses=errors(401),
    summary="Log in; sets cookies too",
)
async def login(
    body: LoginRequest, request: Request, session: DbSession, settings: Settings, tokens: Tokens
) -> JSONResponse:
    # Counted per source address and account: guessing one account's password is slowed
    # down without letting one noisy office (one NAT address) lock everybody else out.
    await enforce(request, "login", f"{client_key(request)}|{body.email.strip().lower()}")
    now = tokens.clock.now()
    user = await identity.authenticate(
        session=session, email=body.email, password=body.password, totp_code=body.totp_code, now=now
    )
    # A consumed backup code must stay consumed even if issuing the session failed later.
    await session.commit()
    issued = await identity.issue_session(
        session=session, user=user, tokens=tokens, settings=settings, now=now
    )
    await session.commit()
    request.state.actor = str(user.id)
    return _session_response(issued, settings)


@router.post(
    "/refresh",
    response_model=Envelope[TokenPair],
    responses=errors(401),
    summary="Rotate the refresh token",
)
async def refresh(
    request: Request,
    session: DbSession,
    settings: Settings,
    tokens: Tokens,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> JSONResponse:
    raw = (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)
    if not raw:
        raise ApiError(401, "INVALID_REFRESH_TOKEN", "no refresh token")
    try:
        issued = await identity.rotate_refresh(
            session=session, raw=raw, tokens=tokens, settings=settings, now=tokens.clock.now()
        )
    except identity.RefreshReused:
        raise ApiError(
            401,
            "REFRESH_TOKEN_REUSED",
            "this refresh token was already used; every session of its family is revoked",
        ) from None
    await session.commit()
    request.state.actor = str(issued.user.id)
    return _session_response(issued, settings)


class LoggedOut(BaseModel):
    logged_out: bool


@router.post("/logout", response_model=Envelope[LoggedOut], summary="End this session")
async def logout(
    request: Request,
    session: DbSession,
    settings: Settings,
    tokens: Tokens,
    user: SelfUser,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> JSONResponse:
    raw = (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)
    await identity.logout(session=session, raw=raw, now=tokens.clock.now())
    await session.commit()
    response = ok(LoggedOut(logged_out=True))
    _clear_cookies(response, settings)
    return response


async def _me(session: DbSession, principal: Principal) -> User:
    user = await identity.get_user(session=session, user_id=principal.user_id)
    if user is None or not user.is_active:
        raise ApiError(401, "UNAUTHENTICATED", "user no longer active")
    return user


@router.get("/me", response_model=Envelope[Me], summary="The logged-in user")
async def me(session: DbSession, principal: SelfUser) -> JSONResponse:
    user = await _me(session, principal)
    data = Me(
        **UserPublic.of(user).model_dump(),
        permissions=sorted(rbac.permissions_of(user.role)),
        backup_codes_left=len(user.backup_code_hashes) if user.totp_enabled else 0,
    )
    return ok(data)


@router.post(
    "/2fa/setup",
    response_model=Envelope[TwoFactorSetup],
    responses=errors(409),
    summary="New TOTP secret and backup codes (2FA is on only after /2fa/enable)",
)
async def setup_2fa(
    request: Request, session: DbSession, settings: Settings, tokens: Tokens, principal: SelfUser
) -> JSONResponse:
    await enforce(request, "2fa", client_key(request))
    user = await _me(session, principal)
    secret, uri, codes = await identity.setup_totp(
        session=session, user=user, settings=settings, now=tokens.clock.now()
    )
    await session.commit()
    return ok(TwoFactorSetup(secret=secret, otpauth_uri=uri, backup_codes=codes))


@router.post(
    "/2fa/enable",
    response_model=Envelope[UserPublic],
    responses=errors(409),
    summary="Turn 2FA on with a code",
)
async def enable_2fa(
    body: TotpRequest, request: Request, session: DbSession, tokens: Tokens, principal: SelfUser
) -> JSONResponse:
    await enforce(request, "2fa", client_key(request))
    user = await _me(session, principal)
    await identity.enable_totp(
        session=session, user=user, code=body.totp_code, now=tokens.clock.now()
    )
    await session.commit()
    return ok(UserPublic.of(user))


@router.post(
    "/2fa/disable",
    response_model=Envelope[UserPublic],
    responses=errors(409),
    summary="Turn 2FA off (needs a current TOTP or backup code)",
)
async def disable_2fa(
    body: TotpRequest, request: Request, session: DbSession, tokens: Tokens, principal: SelfUser
) -> JSONResponse:
    await enforce(request, "2fa", client_key(request))
    user = await _me(session, principal)
    await identity.disable_totp(
        session=session, user=user, code=body.totp_code, now=tokens.clock.now()
    )
    await session.commit()
    return ok(UserPublic.of(user))
