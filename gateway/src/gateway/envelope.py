"""The one response envelope of the public API (REST_API.md "Conventions").

`Envelope[Order]` is the success shape with a named payload (documented as
`OrderEnvelope`, a list payload as `OrderList`, see `gateway.openapi`). `ErrorEnvelope`
is every failure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from cypher_runtime.context import current_request_id

T = TypeVar("T")


class Metadata(BaseModel):
    model_config = ConfigDict(extra="allow")

    request_id: str = Field(description="the X-Request-ID of this request")
    next_cursor: str | None = Field(
        default=None, description="lists: the `cursor` of the next page, null at the end"
    )
    degraded: dict[str, str] | None = Field(
        default=None, description="aggregates: optional parts that are null, and why"
    )
    replayed: bool | None = Field(
        default=None, description="the upstream answered an earlier identical request again"
    )


class ErrorBody(BaseModel):
    code: str = Field(examples=["INSUFFICIENT_STOCK"])
    message: str
    details: dict[str, Any] = Field(
        default_factory=dict, description="e.g. `fields` (field → message) on a 400"
    )


class Envelope(BaseModel, Generic[T]):
    success: Literal[True]
    data: T
    error: None
    metadata: Metadata


class ErrorEnvelope(BaseModel):
    success: Literal[False]
    data: None
    error: ErrorBody
    metadata: Metadata


def metadata(**extra: Any) -> dict[str, Any]:
    return {"request_id": current_request_id(), **extra}


# A payload is a view model (or a list of them); a JSON-ready mapping is passed through.
Payload = BaseModel | Mapping[str, object] | Sequence[BaseModel | Mapping[str, object]]


def _json(item: BaseModel | Mapping[str, object]) -> Any:
    return item.model_dump(mode="json", by_alias=True) if isinstance(item, BaseModel) else item


def _payload(data: Payload) -> Any:
    if isinstance(data, BaseModel | Mapping):
        return _json(data)
    return [_json(item) for item in data]


def ok(data: Payload, *, status_code: int = 200, **meta: Any) -> JSONResponse:
    return JSONResponse(
        {"success": True, "data": _payload(data), "error": None, "metadata": metadata(**meta)},
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
