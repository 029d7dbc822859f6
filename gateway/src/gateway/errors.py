"""Errors of the public API and their handlers (every failure answers the error
envelope; upstream errors are mapped by `gateway.clients.base`)."""

from __future__ import annotations

import logging
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cypher_runtime.errors import ValidationFailed
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


def install_error_handlers(app: FastAPI) -> None:
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
