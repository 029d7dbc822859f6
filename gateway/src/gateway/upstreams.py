"""gRPC channels to the six services, their clients, and health checks for /ready."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cypher_runtime.grpc_client import make_channel
from gateway.clients.base import UpstreamClient
from gateway.settings import GatewaySettings

C = TypeVar("C", bound=UpstreamClient[Any])


class Upstreams:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.addresses = settings.upstream_addresses()
        self.channels: dict[str, grpc.aio.Channel] = {
            name: make_channel(addr, default_timeout=settings.upstream_timeout_seconds)
            for name, addr in self.addresses.items()
        }
        self._clients: dict[type[Any], Any] = {}

    def client(self, cls: type[C], stub: Callable[[grpc.aio.Channel], Any]) -> C:
        """The client of one service, built once: stubs and clients are stateless, so one
        per process avoids re-creating method objects on every request."""
        found = self._clients.get(cls)
        if found is None:
            found = self._clients[cls] = cls(
                stub(self.channels[cls.service]),
                timeout=self.settings.upstream_timeout_seconds,
                part_timeout=self.settings.aggregate_part_timeout_seconds,
            )
        return found  # type: ignore[no-any-return]

    async def _check(self, name: str) -> str | None:
        stub = health_pb2_grpc.HealthStub(self.channels[name])
        try:
            reply = await stub.Check(
                health_pb2.HealthCheckRequest(service=""),
                timeout=self.settings.health_timeout_seconds,
            )
        except grpc.aio.AioRpcError as exc:
            return f"{exc.code().name} at {self.addresses[name]}"
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
        return None

    async def failing(self) -> dict[str, str]:
        names = list(self.channels)
        results = await asyncio.gather(*(self._check(n) for n in names))
        return {n: r for n, r in zip(names, results, strict=True) if r is not None}

    async def close(self) -> None:
        await asyncio.gather(*(ch.close() for ch in self.channels.values()))
