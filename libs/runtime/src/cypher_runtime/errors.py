"""Coded domain errors and their one mapping to gRPC status codes (and back).

A service raises a `DomainError` subclass with a stable code; the gRPC interceptor
turns it into a status code plus a `cypher.common.v1.ErrorDetail` packed in the
standard `grpc-status-details-bin` trailer; the gateway reads it back with
`error_from_rpc` and maps it to HTTP in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

import grpc
from google.protobuf import json_format
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.struct_pb2 import Struct
from google.rpc import status_pb2

DETAILS_KEY = "grpc-status-details-bin"


class ErrorKind(StrEnum):
    INVALID = "INVALID"  # bad input → INVALID_ARGUMENT → 400
    NOT_FOUND = "NOT_FOUND"  # → NOT_FOUND → 404
    PRECONDITION = (
        "PRECONDITION"  # illegal transition, state forbids it → FAILED_PRECONDITION → 409
    )
    CONFLICT = "CONFLICT"  # concurrent change → ABORTED → 409
    ALREADY_EXISTS = "ALREADY_EXISTS"  # duplicate of a unique thing → ALREADY_EXISTS → 409
    EXHAUSTED = "EXHAUSTED"  # insufficient stock → RESOURCE_EXHAUSTED → 409
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    UNAVAILABLE = "UNAVAILABLE"


KIND_TO_STATUS: dict[ErrorKind, grpc.StatusCode] = {
    ErrorKind.INVALID: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorKind.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorKind.PRECONDITION: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorKind.CONFLICT: grpc.StatusCode.ABORTED,
    ErrorKind.ALREADY_EXISTS: grpc.StatusCode.ALREADY_EXISTS,
    ErrorKind.EXHAUSTED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    ErrorKind.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    ErrorKind.FORBIDDEN: grpc.StatusCode.PERMISSION_DENIED,
    ErrorKind.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
}


class DomainError(Exception):
    """Base of every coded business error. Subclasses set `code` and `kind`."""

    code: ClassVar[str] = "DOMAIN_ERROR"
    kind: ClassVar[ErrorKind] = ErrorKind.PRECONDITION

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ValidationFailed(DomainError):
    """Invalid input; `fields` maps each offending field to what is wrong with it."""

    code = "VALIDATION_ERROR"
    kind = ErrorKind.INVALID

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        text = message or "; ".join(f"{k}: {v}" for k, v in fields.items())
        super().__init__(text, details={"fields": fields})
        self.fields = fields


class NotFound(DomainError):
    code = "NOT_FOUND"
    kind = ErrorKind.NOT_FOUND


class Conflict(DomainError):
    code = "CONFLICT"
    kind = ErrorKind.CONFLICT


def _error_detail_cls() -> Any:
    from cypher.common.v1 import errors_pb2

    return errors_pb2.ErrorDetail


def to_grpc_status(
    status: grpc.StatusCode, code: str, message: str, details: dict[str, Any]
) -> tuple[grpc.StatusCode, str, tuple[tuple[str, bytes], ...]]:
    """Code, message and trailing metadata carrying a packed google.rpc.Status."""
    struct = Struct()
    struct.update(_jsonable(details))
    detail = _error_detail_cls()(code=code, message=message, details=struct)
    packed = AnyPb()
    packed.Pack(detail)
    rich = status_pb2.Status(code=status.value[0], message=message, details=[packed])
    return status, message, ((DETAILS_KEY, rich.SerializeToString()),)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return value
    return str(value)  # Decimal, UUID, dates: as their exact text


@dataclass(frozen=True)
class RemoteError:
    """A failed gRPC call as the caller sees it."""

    status: grpc.StatusCode
    code: str
    message: str
    details: dict[str, Any]


def error_from_rpc(err: grpc.aio.AioRpcError | grpc.RpcError) -> RemoteError:
    status = err.code() if callable(getattr(err, "code", None)) else grpc.StatusCode.UNKNOWN
    message = err.details() if callable(getattr(err, "details", None)) else str(err)
    metadata: Any = (
        err.trailing_metadata() if callable(getattr(err, "trailing_metadata", None)) else ()
    )
    for key, value in metadata or ():
        if key == DETAILS_KEY and isinstance(value, bytes):
            rich = status_pb2.Status.FromString(value)
            cls = _error_detail_cls()
            for any_detail in rich.details:
                if any_detail.Is(cls.DESCRIPTOR):
                    detail = cls()
                    any_detail.Unpack(detail)
                    return RemoteError(
                        status=status,
                        code=detail.code,
                        message=detail.message,
                        details=json_format.MessageToDict(detail.details),
                    )
    return RemoteError(status=status, code=status.name, message=message or "", details={})
