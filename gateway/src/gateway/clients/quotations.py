"""The quotations service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.clients.base import UpstreamClient

if TYPE_CHECKING:
    from cypher.quotations.v1.quotations_pb2_grpc import QuotationsServiceAsyncStub as Stub
else:
    Stub = object


class QuotationsClient(UpstreamClient[Stub]):
    service = "quotations"
