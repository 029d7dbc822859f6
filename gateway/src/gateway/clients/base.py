"""What every upstream client shares: deadlines, retries of idempotent calls only, and
the one mapping from a gRPC status to an API error."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Generic, TypeVar

import grpc

from cypher_runtime.grpc_client import call
from cypher_runtime.grpc_errors import error_from_rpc
from gateway.errors import ApiError

log = logging.getLogger(__name__)

S = TypeVar("S")
R = TypeVar("R")

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
# Anything else (INTERNAL, UNKNOWN, DATA_LOSS …) is a fault of the upstream itself.
FALLBACK_STATUS = 502

# Why an optional part of an aggregate is missing, for `metadata.degraded`.
_DEGRADED_REASON = {
    grpc.StatusCode.UNAVAILABLE: "{service} unavailable",
    grpc.StatusCode.DEADLINE_EXCEEDED: "{service} timed out",
    grpc.StatusCode.UNIMPLEMENTED: "{service} does not provide this yet",
    grpc.StatusCode.NOT_FOUND: "none in {service}",
    grpc.StatusCode.FAILED_PRECONDITION: "{service} refused: {detail}",
}


class UpstreamError(ApiError):
    """An upstream call failed; carries the gRPC status so an aggregate can degrade."""

    def __init__(self, service: str, err: grpc.aio.AioRpcError) -> None:
        remote = error_from_rpc(err)
        status = GRPC_TO_HTTP.get(remote.status, FALLBACK_STATUS)
        code = remote.code
        if remote.status == grpc.StatusCode.DEADLINE_EXCEEDED:
            code = "UPSTREAM_TIMEOUT"
        elif status == 503 and code == remote.status.name:
            code = "UPSTREAM_UNAVAILABLE"
        super().__init__(
            status,
            code,
            remote.message or remote.status.name,
            remote.details,
            {"Retry-After": "5"} if status == 503 else None,
        )
        self.service = service
        self.grpc_status = remote.status

    def degraded_reason(self) -> str:
        template = _DEGRADED_REASON.get(self.grpc_status, "{service} failed: {detail}")
        return template.format(service=self.service, detail=self.message)


class UpstreamClient(Generic[S]):
    """Base of the per-service clients. `read` is retried on transient failures (it
    changes nothing); `write` is tried once unless the caller proves it idempotent (an
    idempotency key the service honours, or an absolute-value update)."""

    service: ClassVar[str]

    def __init__(self, stub: S, *, timeout: float, part_timeout: float) -> None:
        self.stub = stub
        self.timeout = timeout
        self.part_timeout = part_timeout

    async def read(
        self,
        method: Callable[..., Awaitable[R]],
        request: Any,
        *,
        part: bool = False,
        timeout: float | None = None,
    ) -> R:
        """A read. As an optional `part` of an aggregate it gets the short part deadline
        and one attempt: a retry would overrun the deadline, and null is acceptable."""
        if part:
            return await self._call(method, request, self.part_timeout, True, 1)
        return await self._call(method, request, timeout or self.timeout, True, 3)

    async def write(
        self,
        method: Callable[..., Awaitable[R]],
        request: Any,
        *,
        idempotent: bool = False,
        timeout: float | None = None,
    ) -> R:
        return await self._call(method, request, timeout or self.timeout, idempotent, 3)

    async def _call(
        self,
        method: Callable[..., Awaitable[R]],
        request: Any,
        timeout: float,
        idempotent: bool,
        attempts: int,
    ) -> R:
        try:
            return await call(
                method, request, timeout=timeout, idempotent=idempotent, attempts=attempts
            )
        except grpc.aio.AioRpcError as err:
            error = UpstreamError(self.service, err)
            if error.status_code >= 500:
                log.warning(
                    "upstream failure",
                    extra={
                        "upstream": self.service,
                        "grpc_status": error.grpc_status.name,
                        "error": error.message,
                    },
                )
            raise error from None
