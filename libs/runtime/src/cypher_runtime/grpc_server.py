"""gRPC aio server bootstrap: interceptors, health service that tells the truth, reflection."""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import aio_server_interceptor

from cypher_runtime.context import (
    ACTOR_METADATA,
    REQUEST_ID_METADATA,
    actor_var,
    new_request_id,
    request_id_var,
)
from cypher_runtime.errors import DomainError
from cypher_runtime.grpc_errors import KIND_TO_STATUS, to_grpc_status
from cypher_runtime.metrics import GRPC_LATENCY, GRPC_REQUESTS

log = logging.getLogger(__name__)

# Failures of infrastructure, not of the request: the caller may retry elsewhere/later.
_HEALTH_PREFIX = "/grpc.health.v1.Health/"
_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, OSError, TimeoutError)


def _is_unavailable(exc: BaseException) -> bool:
    """True for failures to reach a dependency (the caller may retry), anywhere in the
    cause chain: SQLAlchemy wraps asyncpg's, and asyncpg's connection-class errors
    (too many connections, server starting or shutting down) are not OSErrors."""
    from asyncpg.exceptions import (
        CannotConnectNowError,
        PostgresConnectionError,
        TooManyConnectionsError,
    )
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (OperationalError, InterfaceError, *_UNAVAILABLE_ERRORS)):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(
            seen, TooManyConnectionsError | CannotConnectNowError | PostgresConnectionError
        ):
            return True
        seen = seen.__cause__ or getattr(seen, "orig", None)
        if seen is exc:
            break
    return False


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    """Request id and actor from metadata, metrics, and domain error → status code."""

    def __init__(self, service: str) -> None:
        self.service = service

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = handler_call_details.method
        metadata = dict(handler_call_details.invocation_metadata or ())
        inner = handler.unary_unary
        service = self.service

        async def wrapper(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            rid = str(metadata.get(REQUEST_ID_METADATA) or new_request_id())
            rid_token = request_id_var.set(rid)
            actor_token = actor_var.set(str(metadata.get(ACTOR_METADATA) or "") or None)
            started = time.perf_counter()
            code = "OK"
            try:
                result = inner(request, context)  # type: ignore[arg-type]
                return await result if inspect.isawaitable(result) else result
            except grpc.aio.AbortError:
                code = context.code().name if context.code() else "ABORTED_BY_HANDLER"
                raise
            except NotImplementedError:
                code = "UNIMPLEMENTED"
                await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not implemented")
            except DomainError as exc:
                status = KIND_TO_STATUS[exc.kind]
                code = status.name
                await context.abort(*to_grpc_status(status, exc.code, exc.message, exc.details))
            except Exception as exc:
                if _is_unavailable(exc):
                    code = "UNAVAILABLE"
                    log.warning(
                        "dependency unavailable", extra={"method": method, "error": repr(exc)}
                    )
                    await context.abort(
                        *to_grpc_status(
                            grpc.StatusCode.UNAVAILABLE,
                            "DEPENDENCY_UNAVAILABLE",
                            "a dependency of the service is unavailable",
                            {},
                        )
                    )
                code = "INTERNAL"
                log.exception("unhandled error", extra={"method": method})
                await context.abort(
                    *to_grpc_status(
                        grpc.StatusCode.INTERNAL, "INTERNAL", "internal error", {"request_id": rid}
                    )
                )
            finally:
                elapsed = time.perf_counter() - started
                GRPC_REQUESTS.labels(service, method, code).inc()
                GRPC_LATENCY.labels(service, method).observe(elapsed)
                # One access line per call (health probes only at DEBUG: they come every
                # few seconds from every prober and say nothing).
                log.log(
                    logging.DEBUG if method.startswith(_HEALTH_PREFIX) else logging.INFO,
                    "rpc",
                    extra={"method": method, "code": code, "ms": round(elapsed * 1000, 2)},
                )
                request_id_var.reset(rid_token)
                actor_var.reset(actor_token)

        return grpc.unary_unary_rpc_method_handler(
            wrapper,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class GrpcServer:
    """A grpc.aio server with health and reflection registered.

    Health starts NOT_SERVING and is driven by the health monitor from the real state
    of the database (a broker outage leaves it SERVING: the outbox holds the events).
    """

    def __init__(
        self,
        *,
        service: str,
        service_names: Sequence[str],
        register: Callable[[grpc.aio.Server], None],
        host: str,
        port: int,
        max_connection_age_seconds: float = 300.0,
    ) -> None:
        self.service = service
        self.service_names = list(service_names)
        self.health = health_aio.HealthServicer()
        tracing = aio_server_interceptor()  # type: ignore[no-untyped-call]
        self.server = grpc.aio.server(
            interceptors=[tracing, ServiceInterceptor(service)],
            options=[
                ("grpc.max_receive_message_length", 16 * 1024 * 1024),
                ("grpc.keepalive_time_ms", 30_000),
                ("grpc.so_reuseport", 0),
                # Rebalance: clients reconnect (to any replica behind the Service)
                # when a connection reaches this age; calls in flight get the grace.
                ("grpc.max_connection_age_ms", int(max_connection_age_seconds * 1000)),
                ("grpc.max_connection_age_grace_ms", 30_000),
            ],
        )
        register(self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [
                *self.service_names,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            self.server,
        )
        self.address = f"{host}:{port}"
        self.port = self.server.add_insecure_port(self.address)

    async def start(self) -> None:
        await self.set_serving(False)
        await self.server.start()
        log.info("gRPC listening", extra={"address": self.address, "port": self.port})

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ["", *self.service_names]:
            await self.health.set(name, status)

    async def stop(self, grace: float) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
