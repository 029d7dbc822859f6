"""gRPC client side: channels with request-id/actor propagation, deadlines, and retries
for idempotent calls only (a retried non-idempotent call could do its effect twice)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from cypher_runtime.context import ACTOR_METADATA, REQUEST_ID_METADATA, actor_var, request_id_var

R = TypeVar("R")

RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


class _ContextMetadata(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Adds the current request id and actor to every outgoing call, and a default deadline."""

    def __init__(self, default_timeout: float) -> None:
        self.default_timeout = default_timeout

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Awaitable[Any]],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        metadata = list(client_call_details.metadata or ())
        keys = {k for k, _ in metadata}
        rid = request_id_var.get()
        if rid and REQUEST_ID_METADATA not in keys:
            metadata.append((REQUEST_ID_METADATA, rid))
        actor = actor_var.get()
        if actor and ACTOR_METADATA not in keys:
            metadata.append((ACTOR_METADATA, actor))
        details = grpc.aio.ClientCallDetails(
            method=client_call_details.method,
            timeout=client_call_details.timeout
            if client_call_details.timeout is not None
            else self.default_timeout,
            metadata=grpc.aio.Metadata(*metadata),
            credentials=client_call_details.credentials,
            wait_for_ready=client_call_details.wait_for_ready,
        )
        return await continuation(details, request)


def make_channel(target: str, *, default_timeout: float = 5.0) -> grpc.aio.Channel:
    tracing = aio_client_interceptors()  # type: ignore[no-untyped-call]
    return grpc.aio.insecure_channel(
        target,
        interceptors=[*tracing, _ContextMetadata(default_timeout)],
        options=[
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.max_receive_message_length", 16 * 1024 * 1024),
            ("grpc.enable_retries", 0),  # retries are ours, explicit and idempotent-only
            # A restarted upstream is found again within seconds, not after gRPC's
            # default backoff of up to two minutes.
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.min_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 2000),
        ],
    )


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, grpc.aio.AioRpcError) and exc.code() in RETRYABLE


async def call(
    method: Callable[..., Awaitable[R]],
    request: Any,
    *,
    timeout: float,
    idempotent: bool,
    attempts: int = 3,
) -> R:
    """Call a stub method with a deadline; retry transient failures only when idempotent."""
    if not idempotent:
        return await method(request, timeout=timeout)
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential_jitter(multiplier=0.05, max=1.0, jitter=0.05),
        retry=retry_if_exception(_transient),
        reraise=True,
    ):
        with attempt:
            return await method(request, timeout=timeout)
    raise AssertionError("unreachable")
