"""Errors of the public API and the one mapping from gRPC statuses to HTTP."""

from __future__ import annotations

import logging
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cypher_runtime.grpc_errors import error_from_rpc
from gateway.envelope import fail

log = logging.getLogger(__name__)

GRPC_TO_HTTP: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 409,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.UNIMPLEMENTED: 501,
}


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


def rpc_error_response(err: grpc.aio.AioRpcError) -> JSONResponse:
    remote = error_from_rpc(err)
    status = GRPC_TO_HTTP.get(remote.status, 502)
    headers = {"Retry-After": "5"} if status == 503 else None
    code = remote.code
    if remote.status == grpc.StatusCode.DEADLINE_EXCEEDED:
        code = "UPSTREAM_TIMEOUT"
    elif remote.status == grpc.StatusCode.UNAVAILABLE and code == remote.status.name:
        code = "UPSTREAM_UNAVAILABLE"
    if status >= 500:
        log.warning(
            "upstream failure", extra={"grpc_status": remote.status.name, "error": remote.message}
        )
    return fail(status, code, remote.message or remote.status.name, remote.details, headers)


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
        return rpc_error_response(exc)

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

    @app.exception_handler(Exception)
    async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return fail(500, "INTERNAL", "internal error")
