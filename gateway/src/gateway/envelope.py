"""The one response envelope of the public API (REST_API.md "Conventions")."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cypher_runtime.context import current_request_id

T = TypeVar("T")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class Envelope(BaseModel, Generic[T]):
    success: bool
    data: T | None = None
    error: ErrorBody | None = None
    metadata: dict[str, Any] = {}


def metadata(**extra: Any) -> dict[str, Any]:
    return {"request_id": current_request_id(), **extra}


def ok(data: Any, *, status_code: int = 200, **meta: Any) -> JSONResponse:
    return JSONResponse(
        {"success": True, "data": data, "error": None, "metadata": metadata(**meta)},
        status_code=status_code,
    )


def fail(
    status_code: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {
            "success": False,
            "data": None,
            "error": {"code": code, "message": message, "details": details or {}},
            "metadata": metadata(),
        },
        status_code=status_code,
        headers=headers,
    )
