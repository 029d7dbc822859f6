"""Errors of the public API and their handlers (every failure answers the error
envelope; upstream errors are mapped by `gateway.clients.base`)."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import grpc
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cypher_runtime.errors import ValidationFailed
from cypher_runtime.grpc_server import _is_unavailable
from gateway.envelope import fail

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the gateway itself raises (auth, validation, idempotency…)."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers


def _field_errors(exc: RequestValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        fields[".".join(loc) or "body"] = str(err.get("msg", "invalid"))
    return fields


# How long a client should wait before retrying while the gateway's database is away.
DB_RETRY_AFTER_SECONDS = 2

# Failures to reach the gateway's own database (idempotency keys, audit, identity,
# token revocation): a 503 with Retry-After the client may retry, never a 500.
_DB_FAILURES: tuple[type[Exception], ...] = (
    sqlalchemy.exc.DBAPIError,  # OperationalError, InterfaceError, invalidated connections
    sqlalchemy.exc.TimeoutError,  # pool checkout timed out
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
    OSError,  # connection refused / reset, connect timeout
)


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or its cause) says the database cannot be reached right now."""
    if isinstance(exc, sqlalchemy.exc.TimeoutError | asyncpg.exceptions.InterfaceError):
        return True
    return _is_unavailable(exc)


def unavailable_response() -> JSONResponse:
    return fail(
        503,
        "SERVICE_UNAVAILABLE",
        "the gateway's database is unavailable; retry shortly",
        {"dependency": "database"},
        headers={"Retry-After": str(DB_RETRY_AFTER_SECONDS)},
    )


def install_error_handlers(app: FastAPI) -> None:
    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        if not database_unavailable(exc):
            raise exc
        log.warning("database unavailable: answered 503", extra={"error": repr(exc)[:300]})
        return unavailable_response()

    for kind in _DB_FAILURES:
        app.add_exception_handler(kind, _unavailable)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return fail(exc.status_code, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(grpc.aio.AioRpcError)
    async def _rpc_error(_: Request, exc: grpc.aio.AioRpcError) -> JSONResponse:
        # A gRPC error that did not pass through an upstream client (transitional:
        # routes still calling bare stubs) gets the same mapping.
        from gateway.clients.base import UpstreamError

        err = UpstreamError("upstream", exc)
        return fail(err.status_code, err.code, err.message, err.details, err.headers)

    @app.exception_handler(ValidationFailed)
    async def _invalid(_: Request, exc: ValidationFailed) -> JSONResponse:
        return fail(400, "VALIDATION_ERROR", exc.message, {"fields": exc.fields})

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return fail(400, "VALIDATION_ERROR", "invalid request", {"fields": _field_errors(exc)})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            404: "NOT_FOUND",
            405: "METHOD_NOT_ALLOWED",
            401: "UNAUTHENTICATED",
            403: "FORBIDDEN",
        }
        return fail(exc.status_code, codes.get(exc.status_code, "HTTP_ERROR"), str(exc.detail))
