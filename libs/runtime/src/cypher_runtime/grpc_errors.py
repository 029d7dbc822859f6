"""The one mapping of coded domain errors to gRPC status codes, and back.

The server interceptor turns a `DomainError` into a status code plus a
`cypher.common.v1.ErrorDetail` packed in the standard `grpc-status-details-bin`
trailer; callers (the gateway, other services) read it back with `error_from_rpc`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.struct_pb2 import Struct
from google.rpc import status_pb2

from cypher_runtime.errors import ErrorKind

DETAILS_KEY = "grpc-status-details-bin"

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
